#include "crs.hpp"
