// Must not compile: a classifier sits before the last step of a pipeline. ctest checks that the
// compiler's output carries the message of the line below.
// expect: a classifier or regressor sits before the last step
#include <tessera/compose/pipeline.hpp>
#include <tessera/linear/logistic_regression.hpp>
#include <tessera/preprocessing/scalers.hpp>

#include <vector>

int main() {
    const tessera::dense_matrix<double> x(4, 2, 1.0);
    const std::vector<int> y{0, 1, 0, 1};
    auto p = tessera::make_pipeline(tessera::logistic_regression<int>(), tessera::standard_scaler<double>());
    p.fit(x, y);
}
