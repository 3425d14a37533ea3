// Must not compile: tf-idf's sparse rows fed to k-NN, which reads dense rows only. ctest checks
// that the compiler's output carries the message of the line below.
// expect: reads dense rows only
#include <tessera/compose/pipeline.hpp>
#include <tessera/neighbors/knn_classifier.hpp>
#include <tessera/text/tfidf.hpp>

#include <string>
#include <vector>

int main() {
    const std::vector<std::string> docs{"a b", "b c"};
    const std::vector<int> y{0, 1};
    auto p = tessera::tfidf_vectorizer<>() | tessera::knn_classifier<int, double>();
    p.fit(docs, y);
}
