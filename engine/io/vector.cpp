#include "vector.hpp"
