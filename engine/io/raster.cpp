#include "raster.hpp"
