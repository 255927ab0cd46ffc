#pragma once

namespace jangkau {}
