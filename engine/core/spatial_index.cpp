#include "spatial_index.hpp"
