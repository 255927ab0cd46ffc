#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/geos_ops.hpp"
#include "io/vector.hpp"
#include "io/writer.hpp"

using namespace jangkau;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  auto d = fs::temp_directory_path() / ("jangkau_test_io_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
void write_text(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

const char* kTwoSquares = R"({"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"A","pop":10},"geometry":{"type":"Polygon","coordinates":[[[106.0,-6.0],[106.01,-6.0],[106.01,-6.01],[106.0,-6.01],[106.0,-6.0]]]}},
 {"type":"Feature","properties":{"code":"B","pop":null},"geometry":{"type":"MultiPolygon","coordinates":[[[[106.01,-6.0],[106.02,-6.0],[106.02,-6.01],[106.01,-6.01],[106.01,-6.0]]]]}}]})";
}  // namespace

TEST_CASE("read_vector reads attributes, geometry and CRS", "[io]") {
  auto dir = temp_dir();
  write_text(dir / "sq.geojson", kTwoSquares);
  VectorLayer l = read_vector((dir / "sq.geojson").string());
  REQUIRE(l.size() == 2);
  REQUIRE(l.crs);
  CHECK(l.crs->is_geographic);
  auto& code = l.fields[l.field_index("code")];
  CHECK(code.strings[1] == "B");
  auto& pop = l.fields[l.field_index("pop")];
  CHECK(pop.type == FieldType::Integer);
  CHECK(pop.valid[0] == 1);
  CHECK(pop.valid[1] == 0);
  CHECK(l.geometry.kind == GeometryKind::Polygon);
  CHECK(l.geometry.size() == 2);
  CHECK_THROWS_AS(l.field_index("nope"), UnknownColumnError);
}

TEST_CASE("read_vector errors are typed and name the file", "[io]") {
  auto dir = temp_dir();
  CHECK_THROWS_AS(read_vector((dir / "missing.geojson").string()), DataFileError);
  write_text(dir / "broken.geojson", "{\"type\": \"FeatureCollection\", \"features\": [");
  try {
    read_vector((dir / "broken.geojson").string());
    FAIL("expected DataFileError");
  } catch (const DataFileError& e) {
    CHECK(e.context().file.find("broken.geojson") != std::string::npos);
  }
  write_text(dir / "pts.csv", "name,lon,lat\na,106.1,-6.1\n");
  CHECK_THROWS_AS(read_vector((dir / "pts.csv").string(), {.x_column = "lon", .y_column = "lat"}), CrsError);
  auto l = read_vector((dir / "pts.csv").string(), {.assume_crs = "EPSG:4326", .x_column = "lon", .y_column = "lat"});
  CHECK(l.geometry.kind == GeometryKind::Point);
  CHECK(l.geometry.x[0] == Approx(106.1));
}

TEST_CASE("transform to UTM and back", "[io]") {
  CHECK(utm_crs_for(106.15, -6.1) == "EPSG:32748");
  CHECK(utm_crs_for(7.42, 43.73) == "EPSG:32632");
  CHECK(utm_crs_for(106.0, 0.0) == "EPSG:32648");   // the equator counts as north
  CHECK(utm_crs_for(108.0, -6.0) == "EPSG:32749");  // an edge belongs to the zone east of it
  CHECK(utm_crs_for(std::nextafter(108.0, 0.0), -6.0) == "EPSG:32748");
  CHECK(utm_crs_for(std::nextafter(-174.0, -180.0), 1.0) == "EPSG:32601");
  CHECK(utm_crs_for(-180.0, 1.0) == "EPSG:32601");
  CHECK(utm_crs_for(180.0, 1.0) == "EPSG:32660");
  CHECK_THROWS_AS(utm_crs_for(0.0, 84.5), InvalidInputError);
  CHECK_THROWS_AS(Crs::from_user_input("EPSG:0"), CrsError);
  Crs wgs = Crs::from_user_input("EPSG:4326"), utm = Crs::from_user_input("EPSG:32748");
  std::vector<double> x{105.0, 106.15}, y{-6.0, -6.1};
  Transformer(wgs, utm).transform(x, y);
  CHECK(x[0] == Approx(500000.0).margin(1e-6));  // central meridian of zone 48
  Transformer(utm, wgs).transform(x, y);
  CHECK(x[1] == Approx(106.15).margin(1e-9));
  CHECK(y[1] == Approx(-6.1).margin(1e-9));
}

TEST_CASE("dissolve, validate and write atomically", "[io]") {
  auto dir = temp_dir();
  write_text(dir / "sq.geojson", kTwoSquares);
  VectorLayer l = read_vector((dir / "sq.geojson").string());
  Transformer(*l.crs, Crs::from_user_input("EPSG:32748")).transform(l.geometry);
  double a0 = polygon_area(l.geometry, 0), a1 = polygon_area(l.geometry, 1);
  std::vector<std::int64_t> group{0, 0};
  GeometryArray merged = dissolve(l.geometry, group, 1, 2);
  REQUIRE(merged.size() == 1);
  CHECK(polygon_area(merged, 0) == Approx(a0 + a1).epsilon(1e-9));
  CHECK(merged.geom_offsets[1] == 1);  // two adjacent squares → one part
  auto records = validate_polygons(merged, {}, "x");
  CHECK(records.empty());

  // A bow-tie is repaired and reported.
  GeometryArray bow;
  for (auto [px, py] : {std::pair{0.0, 0.0}, {2.0, 2.0}, {2.0, 0.0}, {0.0, 2.0}, {0.0, 0.0}})
    bow.push_coordinate(px, py);
  bow.end_ring();
  bow.end_part();
  bow.end_geometry();
  auto rec = validate_polygons(bow, {}, "bow.geojson");
  REQUIRE(rec.size() == 1);
  CHECK(polygon_area(bow, 0) == Approx(2.0));
  CHECK(is_valid(bow)[0]);

  // Writing over a directory fails after the temp file was written: nothing is left.
  fs::create_directories(dir / "taken.geojson");
  CHECK_THROWS_AS(write_vector((dir / "taken.geojson").string(), l), DataFileError);
  int leftovers = 0;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) ++leftovers;
  CHECK(leftovers == 0);
  write_vector((dir / "out.gpkg").string(), l);
  CHECK(read_vector((dir / "out.gpkg").string()).size() == 2);
  fs::remove_all(dir);
}
