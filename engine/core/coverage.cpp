#include "coverage.hpp"
