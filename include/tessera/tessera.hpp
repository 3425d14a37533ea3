// tessera/tessera.hpp - everything in tessera's core, distance kernels, nearest neighbours and
// io (optional integrations such as tessera/integrations/eigen.hpp are separate). Prefer the
// individual headers in code that cares about compile time: each one stands on its own.
#pragma once

#include "tessera/version.hpp"

#include "tessera/core/archive.hpp"
#include "tessera/core/concepts.hpp"
#include "tessera/core/crc32c.hpp"
#include "tessera/core/csr_matrix.hpp"
#include "tessera/core/dense_matrix.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/estimator.hpp"
#include "tessera/core/half.hpp"
#include "tessera/core/labels.hpp"
#include "tessera/core/matrix_view.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/random.hpp"

#include "tessera/distance/metrics.hpp"
#include "tessera/distance/pairwise.hpp"
#include "tessera/simd/cpu.hpp"
#include "tessera/simd/kernels.hpp"
#include "tessera/simd/select.hpp"
#include "tessera/neighbors/common.hpp"
#include "tessera/neighbors/kd_tree.hpp"
#include "tessera/neighbors/knn_classifier.hpp"
#include "tessera/neighbors/knn_index.hpp"

#include "tessera/naive_bayes/bernoulli_nb.hpp"
#include "tessera/naive_bayes/common.hpp"
#include "tessera/naive_bayes/complement_nb.hpp"
#include "tessera/naive_bayes/discrete_nb.hpp"
#include "tessera/naive_bayes/gaussian_nb.hpp"
#include "tessera/naive_bayes/multinomial_nb.hpp"

#include "tessera/optimize/lbfgs.hpp"
#include "tessera/optimize/objective.hpp"
#include "tessera/optimize/owlqn.hpp"
#include "tessera/optimize/trust_region_newton.hpp"
#include "tessera/linear/logistic_regression.hpp"
#include "tessera/preprocessing/scalers.hpp"
#include "tessera/io/byte_source.hpp"
#include "tessera/io/csv.hpp"
#include "tessera/io/idx.hpp"
#include "tessera/io/labeled_text.hpp"
#include "tessera/io/ratings.hpp"

#include "tessera/text/common.hpp"
#include "tessera/text/count_vectorizer.hpp"
#include "tessera/text/hashing_vectorizer.hpp"
#include "tessera/text/tfidf.hpp"
#include "tessera/text/tokenizer.hpp"

#include "tessera/metrics/classification.hpp"
#include "tessera/model_selection/split.hpp"
