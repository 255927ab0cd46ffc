#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/geos_ops.hpp"
#include "io/raster.hpp"
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

TEST_CASE("read_raster_window reads the slice of the whole raster that a box covers", "[io]") {
  auto dir = temp_dir();
  Raster r;
  r.grid.origin_x = 105.0;
  r.grid.origin_y = -5.0;
  r.grid.cell_width = r.grid.cell_height = 1.0 / 1200.0;  // WorldPop's 3 arc-second cells
  r.grid.cols = 300;
  r.grid.rows = 200;
  r.crs_wkt = "EPSG:4326";
  r.has_nodata = true;
  r.nodata = -99999.0;
  r.values.resize(r.grid.cell_count());
  for (std::size_t i = 0; i < r.values.size(); ++i)
    r.values[i] = (i % 7 == 0) ? -99999.0 : static_cast<double>(i % 113);
  const auto path = (dir / "pop.tif").string();
  write_raster(path, r, RasterWriteOptions{RasterType::Float32, 6});
  const Raster whole = read_raster(path);
  REQUIRE(whole.values == r.values);

  // a box cutting cells: from the middle of column 10 to inside column 49, rows 20..59
  const double c = 1.0 / 1200.0;
  const RasterBox box{105.0 + 10.5 * c, -5.0 - 59.2 * c, 105.0 + 49.01 * c, -5.0 - 20.0 * c, ""};
  const Raster w = read_raster_window(path, box);
  CHECK(w.grid.cols == 40);  // columns 10..49
  CHECK(w.grid.rows == 40);  // rows 20..59
  CHECK(w.grid.origin_x == Approx(105.0 + 10 * c).epsilon(1e-14));
  CHECK(w.grid.origin_y == Approx(-5.0 - 20 * c).epsilon(1e-14));
  CHECK(w.has_nodata);
  CHECK(w.nodata == -99999.0);
  for (std::size_t i = 0; i < w.grid.rows; ++i)
    for (std::size_t j = 0; j < w.grid.cols; ++j)
      REQUIRE(w.values[i * w.grid.cols + j] == whole.values[(20 + i) * whole.grid.cols + 10 + j]);

  // the same box given in another CRS (UTM 48S) covers at least those cells
  // (a 1 km square near 105.18° E, 5.15° S: about 11 × 10 cells of 92 m)
  const RasterBox utm{520000.0, 9430000.0, 521000.0, 9431000.0, "EPSG:32748"};
  const Raster wu = read_raster_window(path, utm);
  CHECK(wu.grid.cols >= 10);
  CHECK(wu.grid.cols <= 13);
  CHECK(wu.grid.rows >= 9);
  CHECK(wu.grid.rows <= 12);

  // a box clipped at the raster's edge, and boxes that do not overlap it
  const Raster edge = read_raster_window(path, RasterBox{104.0, -5.0 - 30.5 * c, 105.0 + 12.5 * c, -4.0, ""});
  CHECK(edge.grid.origin_x == 105.0);
  CHECK(edge.grid.origin_y == -5.0);
  CHECK(edge.grid.cols == 13);  // columns 0..12
  CHECK(edge.grid.rows == 31);  // rows 0..30
  CHECK_THROWS_AS(read_raster_window(path, RasterBox{0.0, 0.0, 1.0, 1.0, ""}), InvalidInputError);
  CHECK_THROWS_AS(read_raster_window(path, RasterBox{106.0, -5.0, 105.0, -6.0, ""}), InvalidInputError);
  CHECK_THROWS_AS(read_raster_window(path, RasterBox{105.0, -5.1, 105.1, -5.0, "EPSG:not_a_crs"}), CrsError);
}
