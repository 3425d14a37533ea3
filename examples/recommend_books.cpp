// Book recommendations with ALS on goodbooks-10k (Zygmunt Zajac, 2017; CC BY-SA 4.0): the 5%-of-
// users subset, 298,176 ratings (1-5 stars) from 2,672 users on 9,990 books, and the book titles.
//
//     recommend_books [data-dir] [title words...]      (default data-dir: $TESSERA_DATA_DIR)
//
// data-dir holds goodbooks-10k/ratings_users5pct.csv.gz and goodbooks-10k/books.csv.gz
// (scripts/get_data.sh fills it). Each user's ratings are split 80/20 with seed 42
// (tessera::split_interactions). Then:
//   1. implicit feedback: every rating is an interaction (confidence 1 + alpha * stars); ALS with
//      64 factors and the conjugate-gradient solver, progress printed per sweep; held-out
//      precision@10, MAP@10, NDCG@10 and AUC next to a popularity baseline;
//   2. explicit ratings: ALS with biases (weighted-lambda); held-out RMSE and MAE next to the
//      global mean and a regularized user + item bias baseline;
//   3. the top 10 titles for the first user, with the books that user rated 5 stars;
//   4. the books most similar to the first book whose title contains the words given on the
//      command line (default: "The Hunger Games").
// Without the data it runs on synthetic ratings of the same shape (users who favour a few of 20
// genres), with titles "Book <id> (genre <g>)".
#include <tessera/io/ratings.hpp>
#include <tessera/metrics/ranking.hpp>
#include <tessera/recommend/als.hpp>
#include <tessera/recommend/baselines.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using ratings = tessera::ratings_data<float, std::int32_t, std::int64_t>;

struct library {
    ratings data;
    std::vector<std::string> titles;  // by item index
};

// books.csv has quoted titles with commas; read_ratings reads any "key, value" relation with
// text ids, so (book_id, title) pairs come back as a books x titles matrix with one entry a row.
std::vector<std::string> read_titles(const fs::path& file, const ratings& r) {
    tessera::ratings_options opt;
    opt.header = tessera::header_row::present;
    opt.user_column = 0;
    opt.item_column = 10;
    opt.rating_column = std::nullopt;
    opt.order = tessera::id_order::first_seen;
    const auto books = tessera::read_ratings<float, std::int32_t, std::string>(file, opt);
    std::vector<std::string> titles(r.items.size());
    for (std::size_t i = 0; i < titles.size(); ++i) {
        const auto row = books.users.index_of(std::to_string(r.items.id_of(static_cast<std::int32_t>(i))));
        titles[i] = row ? books.items.id_of(books.matrix.row(static_cast<std::size_t>(*row)).indices[0])
                        : "book " + std::to_string(r.items.id_of(static_cast<std::int32_t>(i)));
    }
    return titles;
}

// 2,672 users, 9,990 books in 20 genres; each user favours two or three genres, rates 20..200
// books (popular ones more often) and gives favoured genres more stars.
library synthetic() {
    tessera::random_engine rng(42);
    constexpr std::uint32_t users = 2672, books = 9990, genres = 20;
    std::string text = "user_id,book_id,rating\n";
    std::vector<std::uint32_t> seen(books + 1, 0);
    for (std::uint32_t u = 1; u <= users; ++u) {
        std::vector<std::uint32_t> liked{static_cast<std::uint32_t>(rng.below(genres)), static_cast<std::uint32_t>(rng.below(genres))};
        if (rng.uniform01() < 0.5) liked.push_back(static_cast<std::uint32_t>(rng.below(genres)));
        const auto n = 20 + rng.below(181);
        for (std::uint64_t r = 0; r < n;) {
            const bool favoured = rng.uniform01() < 0.8;
            const double x = rng.uniform01();
            auto book = static_cast<std::uint32_t>(1 + static_cast<std::uint64_t>(x * x * (books - 1)));
            if (favoured) book = book - book % genres + liked[rng.below(liked.size())] + 1;
            if (book > books || seen[book] == u) continue;
            seen[book] = u;
            const bool likes = std::find(liked.begin(), liked.end(), (book - 1) % genres) != liked.end();
            const auto stars = likes ? 4 + rng.below(2) : 1 + rng.below(4);
            text += std::to_string(u) + "," + std::to_string(book) + "," + std::to_string(stars) + "\n";
            ++r;
        }
    }
    std::istringstream in(text);
    library lib{tessera::read_ratings<float>(in), {}};
    for (std::size_t i = 0; i < lib.data.items.size(); ++i) {
        const auto id = lib.data.items.id_of(static_cast<std::int32_t>(i));
        lib.titles.push_back("Book " + std::to_string(id) + " (genre " + std::to_string((id - 1) % genres) + ")");
    }
    return lib;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> dir;
    int first_word = 1;
    if (argc > 1 && fs::is_directory(argv[1])) {
        dir = fs::path(argv[1]);
        first_word = 2;
    } else if (const char* env = std::getenv("TESSERA_DATA_DIR"); env != nullptr && *env != '\0') {
        dir = fs::path(env);
    }
    std::string query;
    for (int a = first_word; a < argc; ++a) query += (query.empty() ? "" : " ") + std::string(argv[a]);
    if (query.empty()) query = "The Hunger Games";

    try {
        library lib;
        bool real = false;
        std::string why = "no data directory (pass one as the first argument or set TESSERA_DATA_DIR)";
        if (dir) {
            const auto folder = fs::exists(*dir / "goodbooks-10k") ? *dir / "goodbooks-10k" : *dir;
            const auto ratings_file = folder / "ratings_users5pct.csv.gz";
            const auto books_file = folder / "books.csv.gz";
            if (!fs::exists(ratings_file) || !fs::exists(books_file)) {
                why = folder.string() + " lacks ratings_users5pct.csv.gz or books.csv.gz";
            } else {
                try {
                    lib.data = tessera::read_ratings<float>(ratings_file);
                    lib.titles = read_titles(books_file, lib.data);
                    real = true;
                    std::printf("goodbooks-10k from %s\n", folder.string().c_str());
                } catch (const tessera::error& e) {
                    why = std::string("could not read it: ") + e.message();
                }
            }
        }
        if (!real) {
            std::printf("Synthetic stand-in for goodbooks-10k (%s)\n", why.c_str());
            lib = synthetic();
            query = "Book 1 ";
        }
        const auto& all = lib.data.matrix;
        std::printf("%zu users x %zu books, %zu ratings\n", all.rows(), all.cols(), all.nnz());
        const auto split = tessera::split_interactions(all, {.test_fraction = 0.2, .seed = 42});
        std::printf("per-user 80/20 split, seed 42: %zu training and %zu held-out ratings\n\n", split.train.nnz(),
                    split.test.nnz());

        // 1. Implicit feedback.
        tessera::als_options o;
        o.factors = 64;
        o.regularization = 0.05;
        o.alpha = 2.0;
        o.iterations = 15;
        std::printf("implicit ALS: %zu factors, lambda %g, alpha %g, conjugate gradient (%zu steps)\n", o.factors,
                    o.regularization, o.alpha, o.cg_steps);
        tessera::als_recommender<float> implicit_model(o);
        implicit_model.fit(split.train, [](const tessera::als_progress& p) {
            if (p.iteration == 1 || p.iteration % 5 == 0) {
                std::printf("  sweep %2zu  loss %.6g  %.3f s\n", p.iteration, p.loss, p.seconds);
            }
        });
        tessera::popularity_recommender popular;
        popular.fit(split.train);
        const auto als_scores = tessera::evaluate_ranking(implicit_model, split.test, 10);
        const auto pop_scores = tessera::evaluate_ranking(popular, split.test, 10);
        std::printf("  held-out ranking (%zu users; precision@10 = hits / 10):\n", als_scores.users);
        std::printf("    %-12s precision@10 %.4f  MAP@10 %.4f  NDCG@10 %.4f  AUC %.4f\n", "ALS", als_scores.precision,
                    als_scores.map, als_scores.ndcg, als_scores.auc);
        std::printf("    %-12s precision@10 %.4f  MAP@10 %.4f  NDCG@10 %.4f  AUC %.4f\n\n", "popularity",
                    pop_scores.precision, pop_scores.map, pop_scores.ndcg, pop_scores.auc);

        // 2. Explicit ratings.
        tessera::als_options e;
        e.feedback = tessera::als_feedback::explicit_ratings;
        e.biases = true;
        e.factors = 16;
        e.regularization = 0.2;
        e.iterations = 10;
        std::printf("explicit ALS with biases: %zu factors, weighted lambda %g\n", e.factors, e.regularization);
        tessera::als_recommender<float> explicit_model(e);
        explicit_model.fit(split.train);
        tessera::bias_baseline biases;
        biases.fit(split.train);
        const auto als_err = tessera::evaluate_ratings(explicit_model, split.test);
        const auto bias_err = tessera::evaluate_ratings(biases, split.test);
        double mean = 0;
        for (const float v : split.train.values()) mean += v;
        mean /= static_cast<double>(split.train.nnz());
        double se = 0, ae = 0;
        for (const float v : split.test.values()) {
            se += (v - mean) * (v - mean);
            ae += std::abs(v - mean);
        }
        const double n_test = static_cast<double>(split.test.nnz());
        std::printf("  held-out ratings (%zu):\n", als_err.count);
        std::printf("    %-22s RMSE %.4f  MAE %.4f\n", "ALS + biases", als_err.rmse, als_err.mae);
        std::printf("    %-22s RMSE %.4f  MAE %.4f\n", "user + item biases", bias_err.rmse, bias_err.mae);
        std::printf("    %-22s RMSE %.4f  MAE %.4f\n\n", "global mean", std::sqrt(se / n_test), ae / n_test);

        // 3. Recommendations for the first user.
        const std::size_t user = 0;
        std::printf("user %lld rated 5 stars (training part):\n", static_cast<long long>(lib.data.users.id_of(0)));
        const auto row = split.train.row(user);
        std::size_t shown = 0;
        for (std::size_t p = 0; p < row.size() && shown < 5; ++p) {
            if (row.values[p] >= 5) {
                std::printf("    %s\n", lib.titles[static_cast<std::size_t>(row.indices[p])].c_str());
                ++shown;
            }
        }
        std::printf("  top 10 recommended (implicit ALS, books the user rated left out):\n");
        for (const auto& r : implicit_model.recommend(user, 10)) {
            std::printf("    %.3f  %s\n", r.score, lib.titles[r.item].c_str());
        }

        // 4. Similar books.
        std::size_t book = lib.titles.size();
        const std::string needle = lower(query);
        for (std::size_t i = 0; i < lib.titles.size() && book == lib.titles.size(); ++i) {
            if (lower(lib.titles[i]).find(needle) != std::string::npos) book = i;
        }
        if (book == lib.titles.size()) {
            std::printf("\nno title contains \"%s\"\n", query.c_str());
        } else {
            std::printf("\nbooks most similar to \"%s\" (cosine of the implicit factors):\n", lib.titles[book].c_str());
            for (const auto& r : implicit_model.similar_items(book, 10)) {
                std::printf("    %.3f  %s\n", r.score, lib.titles[r.item].c_str());
            }
        }
        if (!real) {
            std::printf("\nTo use the real goodbooks-10k subset:\n"
                        "  scripts/get_data.sh <dir> && export TESSERA_DATA_DIR=<dir>   (or: recommend_books <dir>)\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "recommend_books: %s\n", e.what());
        return 1;
    }
    return 0;
}
