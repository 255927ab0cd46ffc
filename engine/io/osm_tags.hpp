#pragma once
// The OSM tag rules shared by the two OSM readers (GDAL's in io/roads.cpp, libosmium's in
// io/osm_reader.cpp), defined once in io/roads.cpp. Internal to jangkau::io.

#include <optional>
#include <string>
#include <string_view>

#include "core/road_topology.hpp"

namespace jangkau::detail {

/// `s` without surrounding blanks, lower case (ASCII).
std::string lower_trim(std::string_view s);
/// OSM maxspeed in km/h: a number with an optional unit (km/h, mph, knots); "60;80" takes the
/// first value; NaN for anything else ("walk", "RU:urban", "none").
double parse_maxspeed_kmh(std::string_view raw);
/// OSM oneway: yes/true/1 → Forward, -1/reverse → Backward, no/false/0 → No, else nullopt.
std::optional<Oneway> parse_oneway(std::string_view raw);
/// Motor-vehicle access from the most specific of motorcycle, motor_vehicle, vehicle, access:
/// false when that value (first of a list) is no, private, agricultural or forestry.
bool motor_access(const std::string& motorcycle, const std::string& motor_vehicle, const std::string& vehicle,
                  const std::string& access);

}  // namespace jangkau::detail
