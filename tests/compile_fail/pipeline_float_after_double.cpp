// Must not compile: a float model after a double scaler (tessera never converts between
// neighbouring steps silently). ctest checks that the compiler's output carries the message of
// the line below.
// expect: rows of another element type than its value_type
#include <tessera/compose/pipeline.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/preprocessing/scalers.hpp>

#include <vector>

int main() {
    const tessera::dense_matrix<double> x(4, 2, 1.0);
    const std::vector<int> y{0, 1, 0, 1};
    auto p = tessera::standard_scaler<double>() | tessera::logistic_regression<int, float>();
    (void)p.predict(x);
}
