// What the model tests share: archive round trips in memory, and comparisons of numbers and of
// result tables.
#pragma once

#include <tessera/core/archive.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace tessera_test {

/// The archive bytes of a model (its header and write_to).
template <class Model>
std::vector<std::byte> archive_bytes(const Model& model) {
    tessera::archive_writer w(Model::header());
    model.write_to(w);
    return w.bytes();
}

/// Model::read_from on archive bytes, with read_from's further arguments (metric, allocator).
template <class Model, class... Args>
Model from_bytes(const std::vector<std::byte>& bytes, Args&&... args) {
    tessera::archive_reader r(std::span<const std::byte>(bytes), Model::header());
    return Model::read_from(r, std::forward<Args>(args)...);
}

/// a and b equal up to a relative error rel (absolute below 1).
inline bool close(double a, double b, double rel = 1e-9) {
    if (a == b) return true;
    return std::fabs(a - b) <= rel * std::max({1.0, std::fabs(a), std::fabs(b)});
}

/// Two tables of the same shape with the same values, NaN matching NaN.
template <class M>
bool same_tables(const M& a, const M& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (std::size_t i = 0; i < a.rows(); ++i)
        for (std::size_t j = 0; j < a.cols(); ++j)
            if (!(a(i, j) == b(i, j)) && !(std::isnan(a(i, j)) && std::isnan(b(i, j)))) return false;
    return true;
}

}  // namespace tessera_test
