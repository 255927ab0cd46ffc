#include "geos_ops.hpp"
