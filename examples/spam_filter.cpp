// A spam filter for text messages: word counts or TF-IDF, and multinomial or complement naive
// Bayes, on the SMS Spam Collection (Almeida & Gómez Hidalgo, UCI 228: 5,574 messages).
//
//     spam_filter [data-dir] [--message "text"]...      (default data-dir: $TESSERA_DATA_DIR)
//
// data-dir is the directory scripts/get_data.sh fills (holding sms-spam-collection/) or that
// folder itself. The messages are split 75/25, stratified, with seed 42
// (tessera::stratified_train_test_split). Each of the four filters is one pipeline from text to
// label, e.g.
//
//     tessera::count_vectorizer<double>() | tessera::tfidf_transformer<double>() |
//         tessera::multinomial_nb<std::string>()
//
// so the vocabulary and the document frequencies are learnt from the messages the pipeline is
// fitted on only. For each filter the program prints the accuracy of shuffled 5-fold stratified
// cross-validation on the training messages (tessera::cross_validate), then, fitted on all
// training messages, the test accuracy and the spam class's precision, recall and F1, then the
// words that most indicate spam, then its verdict on each --message (or on two examples of its
// own). With the real data it also prints the accuracy scikit-learn 1.2.1 reaches on the same
// split (CountVectorizer / TfidfVectorizer defaults, MultinomialNB / ComplementNB defaults;
// tests/reference/naive_bayes_reference.py).
//
// Without the data it runs on synthetic messages of the same size and spam share, built from
// two overlapping word lists.
#include <tessera/compose/pipeline.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/labeled_text.hpp>
#include <tessera/metrics/classification.hpp>
#include <tessera/model_selection/cross_validate.hpp>
#include <tessera/model_selection/folds.hpp>
#include <tessera/model_selection/split.hpp>
#include <tessera/naive_bayes/discrete_nb.hpp>
#include <tessera/text/count_vectorizer.hpp>
#include <tessera/text/tfidf.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct messages {
    std::vector<std::string> labels;  // "ham" or "spam"
    std::vector<std::string> texts;
};

std::optional<fs::path> find_file(const fs::path& dir, std::string& why) {
    for (const fs::path& d : {dir / "sms-spam-collection", dir}) {
        if (fs::exists(d / "SMSSpamCollection")) return d / "SMSSpamCollection";
    }
    why = "not found: " + (dir / "sms-spam-collection" / "SMSSpamCollection").string();
    return std::nullopt;
}

// 5,574 messages, 747 of them spam, as in the real collection. Each message draws 4-20 words,
// mostly from its class's list and sometimes from the other's, so the classes overlap.
messages synthetic() {
    static constexpr std::array<const char*, 40> ham = {
        "ok",    "lor",   "later", "home",    "going",   "come",   "sorry",  "call",  "will",   "dinner",
        "love",  "good",  "time",  "how",     "are",     "you",    "what",   "doing", "tonight", "see",
        "wait",  "sleep", "work",  "tomorrow", "morning", "lunch",  "class",  "haha",  "yeah",   "know",
        "think", "right", "meet",  "leave",   "already", "dear",   "happy",  "day",   "miss",   "thanks"};
    static constexpr std::array<const char*, 40> spam = {
        "free",   "win",    "prize",  "claim",   "urgent",  "call",   "now",     "txt",    "cash",   "mobile",
        "reply",  "stop",   "award",  "guaranteed", "winner", "150p", "apply",   "offer",  "ringtone", "entry",
        "week",   "service", "customer", "draw",  "selected", "tone", "contact", "valid",  "code",   "bonus",
        "voucher", "landline", "nokia", "camera",  "chat",    "sexy",  "rate",   "receive", "collect", "500"};
    tessera::random_engine rng(5574);
    messages m;
    for (std::size_t i = 0; i < 5574; ++i) {
        const bool is_spam = (i * 747) % 5574 < 747;  // exactly 747 of them, spread out
        m.labels.emplace_back(is_spam ? "spam" : "ham");
        const auto& own = is_spam ? spam : ham;
        const auto& other = is_spam ? ham : spam;
        std::string text;
        const auto words = 4 + rng.below(17);
        for (std::uint64_t w = 0; w < words; ++w) {
            const auto& list = rng.uniform01() < 0.8 ? own : other;
            // skewed towards the front of the list, as word frequencies are
            const double u = rng.uniform01();
            text += list[static_cast<std::size_t>(u * u * static_cast<double>(list.size()))];
            text += ' ';
        }
        m.texts.push_back(std::move(text));
    }
    return m;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct reference {
    std::size_t correct;  // scikit-learn 1.2.1 on the real split
};

using texts = std::vector<std::string>;

template <class Pipeline>
Pipeline evaluate(const char* title, Pipeline model, const texts& train, const texts& train_y, const texts& test,
                  const texts& test_y, std::optional<reference> ref) {
    const auto folds = tessera::stratified_k_fold(train_y, {.n_splits = 5, .shuffle = true, .seed = 42});
    const auto cv = tessera::cross_validate(model, train, train_y, folds);
    auto t0 = std::chrono::steady_clock::now();
    model.fit(train, train_y);
    const double fit_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto predicted = model.predict(test);
    const double predict_s = seconds_since(t0);
    const auto s = tessera::binary_scores(test_y, predicted, "spam");
    const double acc = tessera::accuracy_score(test_y, predicted);
    std::printf("  %s\n    5-fold CV accuracy %.4f +- %.4f; test accuracy %.4f, spam precision %.3f recall %.3f F1 %.3f\n"
                "    fit %.1f ms, predict %.1f ms (from raw text)\n",
                title, cv.mean_test_score, cv.std_test_score, acc, s.precision, s.recall, s.f1, fit_s * 1e3,
                predict_s * 1e3);
    if (ref) {
        const auto correct = static_cast<std::size_t>(std::lround(acc * static_cast<double>(test_y.size())));
        std::printf("    scikit-learn 1.2.1 on the test split: %.4f (%zu of %zu right; tessera %zu)\n",
                    static_cast<double>(ref->correct) / static_cast<double>(test_y.size()), ref->correct,
                    test_y.size(), correct);
    }
    return model;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> dir;
    std::vector<std::string> to_classify;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--message" && i + 1 < argc) {
            to_classify.emplace_back(argv[++i]);
        } else if (!arg.empty() && arg[0] != '-') {
            dir = fs::path(arg);
        } else {
            std::fprintf(stderr, "usage: %s [data-dir] [--message \"text\"]...\n", argv[0]);
            return 2;
        }
    }
    if (!dir) {
        if (const char* env = std::getenv("TESSERA_DATA_DIR"); env != nullptr && *env != '\0') dir = fs::path(env);
    }

    try {
        messages all;
        bool real = false;
        std::string why = "no data directory (pass one as the first argument or set TESSERA_DATA_DIR)";
        if (dir) {
            if (const auto file = find_file(*dir, why)) {
                try {
                    auto d = tessera::read_labeled_text(*file);
                    all.labels = std::move(d.labels);
                    all.texts = std::move(d.texts);
                    real = true;
                    std::printf("SMS Spam Collection from %s\n", file->string().c_str());
                } catch (const tessera::error& e) {
                    why = std::string("could not read it: ") + e.message();
                }
            }
        }
        if (!real) {
            std::printf("Synthetic stand-in for the SMS Spam Collection (%s):\n"
                        "  5,574 short messages, 747 spam, drawn from two overlapping word lists.\n",
                        why.c_str());
            all = synthetic();
        }
        const auto spam_count = static_cast<std::size_t>(std::count(all.labels.begin(), all.labels.end(), "spam"));
        std::printf("%zu messages, %zu spam\n", all.texts.size(), spam_count);

        const auto split = tessera::stratified_train_test_split(all.labels, {.test_fraction = 0.25, .seed = 42});
        const auto train_text = tessera::take(all.texts, split.train);
        const auto test_text = tessera::take(all.texts, split.test);
        const auto train_y = tessera::take(all.labels, split.train);
        const auto test_y = tessera::take(all.labels, split.test);
        std::printf("stratified 75/25 split, seed 42: %zu training and %zu test messages\n", train_text.size(),
                    test_text.size());

        // scikit-learn 1.2.1 on the same split (tests/reference/naive_bayes_reference.hpp).
        const auto ref = [&](std::size_t correct) {
            return real ? std::optional<reference>(reference{correct}) : std::optional<reference>();
        };
        using counts = tessera::count_vectorizer<double>;
        using tfidf = tessera::tfidf_transformer<double>;
        using multinomial = tessera::multinomial_nb<std::string>;
        using complement = tessera::complement_nb<std::string>;
        std::printf("\n");
        const auto model = evaluate("count_vectorizer | multinomial_nb", counts() | multinomial(), train_text, train_y,
                                    test_text, test_y, ref(1372));
        (void)evaluate("count_vectorizer | complement_nb", counts() | complement(), train_text, train_y, test_text, test_y,
                       ref(1365));
        (void)evaluate("count_vectorizer | tfidf_transformer | multinomial_nb", counts() | tfidf() | multinomial(),
                       train_text, train_y, test_text, test_y, ref(1327));
        (void)evaluate("count_vectorizer | tfidf_transformer | complement_nb", counts() | tfidf() | complement(),
                       train_text, train_y, test_text, test_y, ref(1358));
        const auto& vocabulary = model.step<0>();
        std::printf("\nvocabulary: %zu words (scikit-learn's default token rule: runs of 2+ letters or digits)\n",
                    vocabulary.vocabulary_size());

        // The words whose probability under spam most exceeds that under ham (counts model).
        const auto log_prob = model.last().feature_log_prob();
        const std::size_t ham_row = 0, spam_row = 1;  // classes are sorted: "ham" < "spam"
        std::vector<std::size_t> order(vocabulary.vocabulary_size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        const auto lift = [&](std::size_t j) { return log_prob(spam_row, j) - log_prob(ham_row, j); };
        const std::size_t shown = std::min<std::size_t>(15, order.size());
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                          [&](std::size_t a, std::size_t b) { return lift(a) > lift(b); });
        std::printf("\nwords that most indicate spam (log P(word | spam) - log P(word | ham)):\n ");
        for (std::size_t i = 0; i < shown; ++i) std::printf(" %s (%.1f)", vocabulary.feature_name(order[i]).c_str(), lift(order[i]));
        std::printf("\n\n");

        if (to_classify.empty()) {
            to_classify = {"WINNER!! You have been selected to receive a £900 prize reward! To claim call 09061701461",
                           "Are we still meeting for lunch tomorrow? I'll be home late"};
        }
        const auto verdicts = model.predict_proba(to_classify);
        for (std::size_t i = 0; i < to_classify.size(); ++i) {
            const double p_spam = verdicts(i, spam_row);
            std::printf("%-4s (P(spam) = %.3f): %s\n", p_spam > 0.5 ? "spam" : "ham", p_spam, to_classify[i].c_str());
        }
        if (!real) {
            std::printf("\nTo use the real SMS Spam Collection:\n"
                        "  scripts/get_data.sh <dir> && export TESSERA_DATA_DIR=<dir>   (or: spam_filter <dir>)\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "spam_filter: %s\n", e.what());
        return 1;
    }
    return 0;
}
