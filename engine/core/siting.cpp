#include "siting.hpp"
