#include "cell_coverage.hpp"
