#include "roads.hpp"
