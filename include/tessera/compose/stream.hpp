/// \file
/// tessera/compose/stream.hpp - predictions over any range of rows, in constant memory.
///
/// ```cpp
///   // one label per line of a file of rows, without loading the file:
///   tessera::predict_each(model, rows_of(file), std::ostream_iterator<int>(std::cout, "\n"));
/// ```
///
/// ```cpp
///   for (const int label : tessera::predictions(model, rows_of(file))) ...   // lazy, batch by batch
/// ```
///
/// A fitted model predicts whole matrices; these functions feed it a range of rows instead, read
/// once, in batches of stream_options::batch_rows rows copied into one reused buffer. The
/// memory used is one batch of rows plus the model's output for one batch, whatever the length
/// of the range; the predictions are those model.predict gives on the whole data (rows are
/// predicted independently).
///
/// A row is either a range of numbers (a std::vector<float>, a std::span<const double>, a
/// row of a matrix), copied into a dense_matrix of the model's value_type, or anything else (a
/// document as a std::string or std::string_view, a row of categories), copied into a
/// std::vector of owning values (std::string for string-like rows, so a reader may reuse its
/// buffer between rows).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/concepts.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/matrix_view.hpp"

namespace tessera {

/// How the streaming functions batch their input.
struct stream_options {
    /// Rows per call of the model's predict: larger batches amortize the model's per-call work,
    /// smaller ones use less memory. Must be at least 1.
    std::size_t batch_rows = 1024;
};

namespace detail {
/// \cond

template <class V>
concept numeric_row = std::ranges::sized_range<V> && numeric<std::remove_cvref_t<std::ranges::range_value_t<V>>> &&
                      !std::convertible_to<V, std::string_view>;

// The element type numeric rows are copied into: the model's value_type when it names one.
template <class M, class V>
struct batch_element {
    using type = std::remove_cvref_t<std::ranges::range_value_t<V>>;
};
template <class M, class V>
    requires requires { typename M::value_type; } && storage_element<typename M::value_type>
struct batch_element<M, V> {
    using type = typename M::value_type;
};

template <class V>
using owned_row_t = std::conditional_t<std::convertible_to<V, std::string_view>, std::string, std::remove_cvref_t<V>>;

// One batch of rows, refilled in place. fill(it, end) copies up to batch_rows rows and returns
// the iterator after them; view() is what the model's predict receives.
template <class M, class V>
class row_batch;

template <class M, class V>
    requires numeric_row<V>
class row_batch<M, V> {
    using E = typename batch_element<M, V>::type;

public:
    explicit row_batch(std::size_t capacity) : capacity_(capacity) {}

    template <class It, class Sentinel>
    It fill(It it, Sentinel end, std::size_t first_row, const char* where) {
        rows_ = 0;
        for (; rows_ < capacity_ && it != end; ++it, ++rows_) {
            auto&& row = *it;
            const auto length = static_cast<std::size_t>(std::ranges::size(row));
            if (first_row + rows_ == 0) {
                cols_ = length;
                if (cols_ == 0) throw_argument(where, "rows", "row 0 is empty: a row needs at least one value");
                buffer_ = dense_matrix<E>(capacity_, cols_);
            }
            if (length != cols_) {
                throw_argument<dimension_mismatch>(where, "rows",
                                                   "row " + std::to_string(first_row + rows_) + " has " +
                                                       std::to_string(length) + " values but row 0 has " +
                                                       std::to_string(cols_));
            }
            E* out = buffer_.data() + rows_ * buffer_.stride();
            for (auto&& v : row) *out++ = static_cast<E>(v);
        }
        return it;
    }

    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    [[nodiscard]] matrix_view<const E> view() const noexcept {
        return matrix_view<const E>(buffer_.data(), rows_, cols_, buffer_.stride());
    }

private:
    std::size_t capacity_;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
    dense_matrix<E> buffer_;
};

template <class M, class V>
class row_batch {
    using owned = owned_row_t<V>;

public:
    explicit row_batch(std::size_t capacity) : capacity_(capacity) { buffer_.reserve(capacity); }

    template <class It, class Sentinel>
    It fill(It it, Sentinel end, std::size_t, const char*) {
        buffer_.clear();
        for (; buffer_.size() < capacity_ && it != end; ++it) {
            auto&& row = *it;
            if constexpr (std::convertible_to<decltype(row), std::string_view>) {
                buffer_.emplace_back(std::string_view(row));
            } else {
                buffer_.emplace_back(row);
            }
        }
        return it;
    }

    [[nodiscard]] std::size_t rows() const noexcept { return buffer_.size(); }
    [[nodiscard]] std::span<const owned> view() const noexcept { return std::span<const owned>(buffer_); }

private:
    std::size_t capacity_;
    std::vector<owned> buffer_;
};

inline void check_stream_options(const stream_options& options, const char* where) {
    if (options.batch_rows == 0) throw_argument(where, "options.batch_rows", "must be at least 1");
}

template <class M, class R>
using stream_batch_t = row_batch<M, std::ranges::range_reference_t<R>>;

template <class M, class R>
using stream_view_t = decltype(std::declval<const stream_batch_t<M, R>&>().view());

/// \endcond
}  // namespace detail

/// A model that can predict the batches a range R of rows is cut into (see the header comment
/// for how rows are batched).
template <class M, class R>
concept streamable_predictor = std::ranges::input_range<R> &&
                               requires(const M& m, const detail::stream_view_t<M, R>& batch) {
                                   { m.predict(batch) } -> std::ranges::input_range;
                               };

/// Predicts every row of `rows` (read once, front to back) with model.predict, batch_rows rows
/// at a time, and writes the predictions to `out` in order; returns the advanced iterator.
/// Memory: one batch. Throws invalid_argument for batch_rows = 0 or an empty first row,
/// dimension_mismatch for a numeric row whose length differs from the first row's, and what
/// model.predict throws (the predictions of earlier batches have been written by then).
template <class M, std::ranges::input_range R, class Out>
    requires streamable_predictor<M, R>
Out predict_each(const M& model, R&& rows, Out out, const stream_options& options = {}) {
    constexpr const char* where = "predict_each";
    detail::check_stream_options(options, where);
    detail::stream_batch_t<M, R> batch(options.batch_rows);
    auto it = std::ranges::begin(rows);
    const auto end = std::ranges::end(rows);
    std::size_t done = 0;
    while (it != end) {
        it = batch.fill(std::move(it), end, done, where);
        const auto predicted = model.predict(batch.view());
        for (auto&& p : predicted) {
            *out = p;
            ++out;
        }
        done += batch.rows();
    }
    return out;
}

/// A lazy, single-pass range of the predictions of `model` for the rows of a range R:
/// iterating it reads the rows batch by batch (as predict_each) and yields one prediction per
/// row. R is a reference type (R = const Rows&: the range is referred to and must outlive the
/// view) or an object type (the range is held by value, e.g. a temporary generator). The model
/// is referred to and must outlive the view. Exceptions as predict_each, thrown while iterating.
template <class M, class R>
    requires streamable_predictor<M, R>
class prediction_view {
    using batch_type = detail::stream_batch_t<M, R>;
    using rows_type = std::remove_reference_t<R>;
    using result_type =
        std::remove_cvref_t<decltype(std::declval<const M&>().predict(std::declval<detail::stream_view_t<M, R>>()))>;

public:
    /// One prediction: the element type of what model.predict returns.
    using value_type = std::remove_cvref_t<std::ranges::range_value_t<result_type>>;

    /// A view of the predictions of `model` for `rows` (forwarded into R). Reads nothing yet.
    /// Throws invalid_argument for bad options (batch_rows of 0).
    template <class Rows>
    prediction_view(const M& model, Rows&& rows, const stream_options& options = {})
        : model_(std::addressof(model)), rows_(std::forward<Rows>(rows)), options_(options) {
        detail::check_stream_options(options_, "prediction_view");
    }

    /// The input iterator of a pass, compared with std::default_sentinel for the end.
    class iterator {
    public:
        using value_type = prediction_view::value_type;  ///< one prediction
        using difference_type = std::ptrdiff_t;          ///< required by std::input_iterator
        using iterator_concept = std::input_iterator_tag;  ///< single pass

        /// A singular iterator (for default-initializable iterator requirements only).
        iterator() = default;
        /// The current prediction, valid until the next increment.
        [[nodiscard]] const value_type& operator*() const { return parent_->current_[parent_->pos_]; }
        /// Moves to the next row's prediction, predicting the next batch when this one is used up.
        iterator& operator++() {
            parent_->advance();
            return *this;
        }
        /// As prefix increment (an input iterator returns nothing useful here).
        void operator++(int) { ++*this; }
        /// Whether every row has been predicted.
        [[nodiscard]] friend bool operator==(const iterator& i, std::default_sentinel_t) { return i.at_end(); }

    private:
        friend prediction_view;
        explicit iterator(prediction_view* parent) : parent_(parent) {}
        [[nodiscard]] bool at_end() const { return parent_->done(); }
        prediction_view* parent_ = nullptr;
    };

    /// Starts the pass (reads the first batch). A prediction_view is single-pass: call once.
    [[nodiscard]] iterator begin() {
        batch_ = std::make_unique<batch_type>(options_.batch_rows);
        it_.emplace(std::ranges::begin(rows_));
        pos_ = 0;
        current_.clear();
        next_batch();
        return iterator(this);
    }
    /// The end of the pass.
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }

private:
    void advance() {
        if (++pos_ == current_.size()) next_batch();
    }
    void next_batch() {
        pos_ = 0;
        current_.clear();
        while (current_.empty() && *it_ != std::ranges::end(rows_)) {
            it_.emplace(batch_->fill(std::move(*it_), std::ranges::end(rows_), done_, "prediction_view"));
            done_ += batch_->rows();
            for (auto&& p : model_->predict(batch_->view())) current_.push_back(p);
        }
    }
    [[nodiscard]] bool done() const noexcept { return pos_ >= current_.size(); }

    const M* model_;
    R rows_;
    stream_options options_;
    std::unique_ptr<batch_type> batch_;
    std::optional<std::ranges::iterator_t<rows_type>> it_;
    std::size_t done_ = 0;
    std::size_t pos_ = 0;
    std::vector<value_type> current_;
};

/// prediction_view over `rows` (see prediction_view): for (auto p : predictions(model, rows)).
/// An lvalue range is referred to, an rvalue range is moved into the view.
template <class M, std::ranges::input_range R>
    requires streamable_predictor<M, R>
[[nodiscard]] auto predictions(const M& model, R&& rows, const stream_options& options = {}) {
    using stored = std::conditional_t<std::is_lvalue_reference_v<R>, R, std::remove_cvref_t<R>>;
    return prediction_view<M, stored>(model, std::forward<R>(rows), options);
}

}  // namespace tessera
