#include "writer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "io/gdal_util.hpp"

namespace jangkau {

VectorFormat format_for(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".geojson" || ext == ".json") return VectorFormat::GeoJson;
  if (ext == ".gpkg") return VectorFormat::GeoPackage;
  if (ext == ".fgb") return VectorFormat::FlatGeobuf;
  if (ext == ".csv") return VectorFormat::Csv;
  throw InvalidInputError("unsupported output format '" + ext + "' (use .geojson, .gpkg, .fgb or .csv)",
                          {path, -1, ""});
}

namespace {

std::unique_ptr<OGRLinearRing> make_ring(const GeometryArray& a, std::int64_t r) {
  auto ring = std::make_unique<OGRLinearRing>();
  auto b = a.ring_offsets[r], e = a.ring_offsets[r + 1];
  ring->setNumPoints(static_cast<int>(e - b), FALSE);
  for (auto c = b; c < e; ++c) ring->setPoint(static_cast<int>(c - b), a.x[c], a.y[c]);
  return ring;
}

std::unique_ptr<OGRGeometry> make_geometry(const GeometryArray& a, std::size_t g) {
  switch (a.kind) {
    case GeometryKind::Point: {
      auto mp = std::make_unique<OGRMultiPoint>();
      for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
        auto c = a.ring_offsets[a.part_offsets[p]];
        OGRPoint pt(a.x[c], a.y[c]);
        mp->addGeometry(&pt);
      }
      if (mp->getNumGeometries() == 1) return std::unique_ptr<OGRGeometry>(mp->getGeometryRef(0)->clone());
      return mp;
    }
    case GeometryKind::Line: {
      auto ml = std::make_unique<OGRMultiLineString>();
      for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
        auto ring = make_ring(a, a.part_offsets[p]);
        OGRLineString ls;
        ls.addSubLineString(ring.get());
        ml->addGeometry(&ls);
      }
      return ml;
    }
    case GeometryKind::Polygon: {
      auto mp = std::make_unique<OGRMultiPolygon>();
      for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
        auto poly = std::make_unique<OGRPolygon>();
        for (auto r = a.part_offsets[p]; r < a.part_offsets[p + 1]; ++r)
          poly->addRingDirectly(make_ring(a, r).release());
        mp->addGeometryDirectly(poly.release());
      }
      return mp;
    }
  }
  return nullptr;
}

OGRwkbGeometryType layer_type(const GeometryArray& a) {
  switch (a.kind) {
    case GeometryKind::Point: {
      for (std::size_t g = 0; g < a.size(); ++g)
        if (a.geom_offsets[g + 1] - a.geom_offsets[g] > 1) return wkbMultiPoint;
      return wkbPoint;
    }
    case GeometryKind::Line:
      return wkbMultiLineString;
    case GeometryKind::Polygon:
      return wkbMultiPolygon;
  }
  return wkbUnknown;
}

void write_to(const std::string& tmp, const std::string& target, const VectorLayer& layer,
              const WriteOptions& options, VectorFormat format) {
  const char* driver_name = format == VectorFormat::GeoJson      ? "GeoJSON"
                            : format == VectorFormat::GeoPackage ? "GPKG"
                            : format == VectorFormat::FlatGeobuf ? "FlatGeobuf"
                                                                 : "CSV";
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
  if (!driver) throw DataFileError(std::string("GDAL has no ") + driver_name + " driver", {target, -1, ""});
  ErrorCollector errors;
  GdalDatasetPtr ds(driver->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw DataFileError("cannot create: " + errors.message(), {target, -1, ""});

  const bool has_geometry = layer.crs.has_value();  // attribute-only tables carry no CRS
  OGRSpatialReference srs;
  if (has_geometry) {
    srs.SetFromUserInput(layer.crs->definition.c_str());
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  }
  std::vector<std::string> lco;
  if (format == VectorFormat::GeoJson) {
    lco = {"RFC7946=YES", "COORDINATE_PRECISION=" + std::to_string(options.coordinate_precision), "WRITE_NAME=NO"};
  } else if (format == VectorFormat::Csv) {
    lco = {"GEOMETRY=" + std::string(has_geometry ? "AS_WKT" : "NONE"), "GEOMETRY_NAME=geometry",
           "STRING_QUOTING=IF_NEEDED"};
  } else if (format == VectorFormat::FlatGeobuf) {
    lco = {"SPATIAL_INDEX=NO"};
  }
  std::vector<const char*> lco_c;
  lco_c.reserve(lco.size() + 1);
  for (auto& s : lco) lco_c.push_back(s.c_str());
  lco_c.push_back(nullptr);
  std::string name = options.layer_name.empty() ? std::filesystem::path(target).stem().string() : options.layer_name;
  OGRLayer* out = ds->CreateLayer(name.c_str(), has_geometry ? &srs : nullptr,
                                  has_geometry ? layer_type(layer.geometry) : wkbNone,
                                  const_cast<char**>(lco_c.data()));
  if (!out) throw DataFileError("cannot create layer: " + errors.message(), {target, -1, ""});
  for (const auto& f : layer.fields) {
    OGRFieldType t = f.type == FieldType::Integer ? OFTInteger64 : f.type == FieldType::Real ? OFTReal : OFTString;
    OGRFieldDefn fd(f.name.c_str(), f.boolean ? OFTInteger : t);
    if (f.boolean) fd.SetSubType(OFSTBoolean);
    if (out->CreateField(&fd) != OGRERR_NONE)
      throw DataFileError("cannot create field: " + errors.message(), {target, -1, f.name});
  }
  if (ds->TestCapability(ODsCTransactions)) ds->StartTransaction();
  OGRFeatureDefn* defn = out->GetLayerDefn();
  for (std::size_t i = 0; i < layer.size(); ++i) {
    OGRFeature feature(defn);
    for (std::size_t k = 0; k < layer.fields.size(); ++k) {
      const Field& f = layer.fields[k];
      int idx = static_cast<int>(k);
      if (!f.valid.empty() && !f.valid[i]) {
        feature.SetFieldNull(idx);
        continue;
      }
      switch (f.type) {
        case FieldType::Integer:
          feature.SetField(idx, static_cast<GIntBig>(f.integers[i]));
          break;
        case FieldType::Real:
          if (std::isnan(f.reals[i]))
            feature.SetFieldNull(idx);
          else
            feature.SetField(idx, f.reals[i]);
          break;
        case FieldType::String:
          feature.SetField(idx, f.strings[i].c_str());
          break;
      }
    }
    if (has_geometry && !layer.geometry.empty(i)) {
      auto g = make_geometry(layer.geometry, i);
      g->assignSpatialReference(&srs);
      feature.SetGeometryDirectly(g.release());
    }
    if (out->CreateFeature(&feature) != OGRERR_NONE)
      throw DataFileError("cannot write feature: " + errors.message(), {target, static_cast<std::int64_t>(i), ""});
  }
  if (ds->TestCapability(ODsCTransactions)) ds->CommitTransaction();
  ds.reset();  // flush and close before the rename
  if (errors.failed()) throw DataFileError("cannot write: " + errors.message(), {target, -1, ""});
}

}  // namespace

void write_vector(const std::string& path, const VectorLayer& layer, const WriteOptions& options) {
  ensure_gdal_registered();
  VectorFormat format = format_for(path);
  if (layer.geometry.size() != layer.size() && layer.geometry.size() != 0)
    throw InvalidInputError("geometry count differs from feature count", {path, -1, "geometry"});
  for (const auto& f : layer.fields) {
    std::size_t n = f.type == FieldType::Integer ? f.integers.size()
                    : f.type == FieldType::Real  ? f.reals.size()
                                                 : f.strings.size();
    if (n != layer.size()) throw InvalidInputError("column length differs from feature count", {path, -1, f.name});
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent))
    throw DataFileError("output directory does not exist", {path, -1, ""});
  if (!options.overwrite && std::filesystem::exists(path)) throw DataFileError("file exists", {path, -1, ""});
  write_atomically(path, [&](const std::string& tmp) { write_to(tmp, path, layer, options, format); });
}

}  // namespace jangkau
