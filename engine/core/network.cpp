#include "network.hpp"
