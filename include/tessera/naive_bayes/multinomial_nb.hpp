/// \file
/// tessera/naive_bayes/multinomial_nb.hpp - multinomial naive Bayes: tessera::multinomial_nb, multinomial_nb_options.
/// The three discrete models share one implementation and live in discrete_nb.hpp (see the
/// formulas there); this header is the model's own name for it.
#pragma once

#include "tessera/naive_bayes/discrete_nb.hpp"
