#include "access.hpp"
