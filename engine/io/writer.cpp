#include "writer.hpp"
