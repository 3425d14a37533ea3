/// \file
/// tessera/naive_bayes/complement_nb.hpp - complement naive Bayes: tessera::complement_nb, complement_nb_options.
/// The three discrete models share one implementation and live in discrete_nb.hpp (see the
/// formulas there); this header is the model's own name for it.
#pragma once

#include "tessera/naive_bayes/discrete_nb.hpp"
