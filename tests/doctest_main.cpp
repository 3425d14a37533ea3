// The doctest runner, compiled once and linked into every tessera test executable.
// Test files include <doctest/doctest.h> and define only TEST_CASEs.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
