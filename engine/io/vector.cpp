#include "vector.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "core/error.hpp"
#include "io/gdal_util.hpp"

namespace jangkau {

std::size_t VectorLayer::field_index(const std::string& field_name) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == field_name) return i;
  std::string known;
  for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.name;
  throw UnknownColumnError("no column '" + field_name + "' (columns: " + known + ")", {source, -1, field_name});
}

namespace {

int dimension_of(OGRwkbGeometryType t) {
  switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
      return 0;
    case wkbLineString:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
      return 1;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
      return 2;
    default:
      return -1;
  }
}

void append_ring(const OGRSimpleCurve* curve, GeometryArray& out) {
  int n = curve->getNumPoints();
  for (int i = 0; i < n; ++i) out.push_coordinate(curve->getX(i), curve->getY(i));
  out.end_ring();
}

// Appends the parts of `g` (flattened) to out; returns the number of parts added.
int append_parts(const OGRGeometry* g, GeometryArray& out, const std::string& file, std::int64_t feature) {
  if (g == nullptr || g->IsEmpty()) return 0;
  auto type = wkbFlatten(g->getGeometryType());
  switch (type) {
    case wkbPoint: {
      auto* p = g->toPoint();
      out.push_coordinate(p->getX(), p->getY());
      out.end_ring();
      out.end_part();
      return 1;
    }
    case wkbLineString:
      append_ring(g->toLineString(), out);
      out.end_part();
      return 1;
    case wkbPolygon: {
      auto* poly = g->toPolygon();
      append_ring(poly->getExteriorRing(), out);
      for (int k = 0; k < poly->getNumInteriorRings(); ++k) append_ring(poly->getInteriorRing(k), out);
      out.end_part();
      return 1;
    }
    case wkbMultiPoint:
    case wkbMultiLineString:
    case wkbMultiPolygon:
    case wkbGeometryCollection: {
      int count = 0;
      for (const auto* part : *g->toGeometryCollection()) count += append_parts(part, out, file, feature);
      return count;
    }
    default: {
      // Curves and surfaces: linearise with OGR's default tolerance.
      std::unique_ptr<OGRGeometry> lin(g->getLinearGeometry());
      if (!lin || wkbFlatten(lin->getGeometryType()) == type)
        throw GeometryError(std::string("unsupported geometry type ") + OGRGeometryTypeToName(type),
                            {file, feature, "geometry"});
      return append_parts(lin.get(), out, file, feature);
    }
  }
}

// Dates and times as ISO 8601 (OGR's own string form uses slashes).
std::string field_as_string(const OGRFeature& feature, int i) {
  auto type = feature.GetFieldDefnRef(i)->GetType();
  if (type != OFTDate && type != OFTDateTime && type != OFTTime) return feature.GetFieldAsString(i);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
  float s = 0;
  const_cast<OGRFeature&>(feature).GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &s, &tz);
  char buf[64];
  if (type == OFTDate)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, mo, d);
  else if (type == OFTTime)
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, mi, static_cast<int>(s));
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, static_cast<int>(s));
  return buf;
}

}  // namespace

std::vector<std::string> list_layers(const std::string& path) {
  auto ds = open_vector(path, {});
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(ds->GetLayerCount()));
  for (int i = 0; i < ds->GetLayerCount(); ++i) names.emplace_back(ds->GetLayer(i)->GetName());
  return names;
}

VectorLayer read_vector(const std::string& path, const ReadOptions& options) {
  std::vector<std::string> open_options;
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!options.x_column.empty() || !options.y_column.empty()) {
    if (options.x_column.empty() || options.y_column.empty())
      throw InvalidInputError("both x_column and y_column must be given", {path, -1, ""});
    open_options.push_back("X_POSSIBLE_NAMES=" + options.x_column);
    open_options.push_back("Y_POSSIBLE_NAMES=" + options.y_column);
    open_options.push_back("KEEP_GEOM_COLUMNS=NO");
  } else if (!options.wkt_column.empty()) {
    open_options.push_back("GEOM_POSSIBLE_NAMES=" + options.wkt_column);
    open_options.push_back("KEEP_GEOM_COLUMNS=NO");
  }
  ErrorCollector errors;
  auto ds = open_vector(path, open_options);
  OGRLayer* layer = nullptr;
  if (options.layer.empty()) {
    if (ds->GetLayerCount() < 1) throw DataFileError("data source has no layers", {path, -1, ""});
    layer = ds->GetLayer(0);
  } else {
    layer = ds->GetLayerByName(options.layer.c_str());
    if (!layer) throw DataFileError("no layer '" + options.layer + "'", {path, -1, ""});
  }
  if (!options.where.empty() && layer->SetAttributeFilter(options.where.c_str()) != OGRERR_NONE)
    throw InvalidInputError("invalid attribute filter '" + options.where + "'", {path, -1, ""});

  VectorLayer out;
  out.source = path;
  out.name = layer->GetName();
  OGRFeatureDefn* defn = layer->GetLayerDefn();
  if (!options.x_column.empty()) {
    // The CSV driver silently yields no geometry if the columns do not exist.
    bool found_x = false, found_y = false;
    std::unique_ptr<GDALDataset> plain(static_cast<GDALDataset*>(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
    if (plain && plain->GetLayerCount() > 0) {
      auto* d = plain->GetLayer(0)->GetLayerDefn();
      found_x = d->GetFieldIndex(options.x_column.c_str()) >= 0;
      found_y = d->GetFieldIndex(options.y_column.c_str()) >= 0;
    }
    if (!found_x) throw UnknownColumnError("no column '" + options.x_column + "'", {path, -1, options.x_column});
    if (!found_y) throw UnknownColumnError("no column '" + options.y_column + "'", {path, -1, options.y_column});
  }
  const int nfields = defn->GetFieldCount();
  for (int i = 0; i < nfields; ++i) {
    OGRFieldDefn* fd = defn->GetFieldDefn(i);
    Field f;
    f.name = fd->GetNameRef();
    switch (fd->GetType()) {
      case OFTInteger:
      case OFTInteger64:
        f.type = FieldType::Integer;
        f.boolean = fd->GetSubType() == OFSTBoolean;
        break;
      case OFTReal:
        f.type = FieldType::Real;
        break;
      default:
        f.type = FieldType::String;
    }
    out.fields.push_back(std::move(f));
  }

  const bool has_geometry_column = defn->GetGeomFieldCount() > 0;
  if (!has_geometry_column && options.require_geometry)
    throw GeometryError("layer '" + out.name + "' has no geometry column", {path, -1, ""});
  if (has_geometry_column) {
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    // GeoPackage and others report "Undefined SRS" as a local (engineering) CRS: that is no CRS.
    if (srs && srs->IsLocal() && !srs->GetAuthorityName(nullptr)) srs = nullptr;
    if (srs) {
      char* wkt = nullptr;
      const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
      srs->exportToWkt(&wkt, wkt_options);
      std::string def = wkt ? wkt : "";
      CPLFree(wkt);
      const char* auth = srs->GetAuthorityName(nullptr);
      const char* code = srs->GetAuthorityCode(nullptr);
      if (auth && code) def = std::string(auth) + ":" + code;
      out.crs = Crs::from_user_input(def, path);
    } else if (!options.assume_crs.empty()) {
      out.crs = Crs::from_user_input(options.assume_crs, path);
    } else {
      throw CrsError("layer has no coordinate reference system; state it (e.g. crs=\"EPSG:4326\")", {path, -1, ""});
    }
  }

  int dimension = -1;
  layer->ResetReading();
  std::int64_t index = 0;
  for (auto& feature : *layer) {
    out.fid.push_back(feature->GetFID());
    for (int i = 0; i < nfields; ++i) {
      Field& f = out.fields[i];
      bool valid = feature->IsFieldSetAndNotNull(i);
      f.valid.push_back(valid ? 1 : 0);
      switch (f.type) {
        case FieldType::Integer:
          f.integers.push_back(valid ? feature->GetFieldAsInteger64(i) : 0);
          break;
        case FieldType::Real:
          f.reals.push_back(valid ? feature->GetFieldAsDouble(i) : std::numeric_limits<double>::quiet_NaN());
          break;
        case FieldType::String:
          f.strings.emplace_back(valid ? field_as_string(*feature, i) : std::string());
          break;
      }
    }
    if (has_geometry_column) {
      const OGRGeometry* g = feature->GetGeometryRef();
      if (g && !g->IsEmpty()) {
        int d = dimension_of(g->getGeometryType());
        if (d < 0) {
          // Geometry collections: take the dimension of the first member.
          if (wkbFlatten(g->getGeometryType()) == wkbGeometryCollection && !g->toGeometryCollection()->IsEmpty())
            d = dimension_of(g->toGeometryCollection()->getGeometryRef(0)->getGeometryType());
          if (d < 0)
            throw GeometryError(std::string("unsupported geometry type ") + g->getGeometryName(),
                                {path, index, "geometry"});
        }
        if (dimension < 0) {
          dimension = d;
          out.geometry.kind = static_cast<GeometryKind>(d);
        } else if (d != dimension) {
          throw GeometryError(std::string("mixed geometry types in one layer: ") + g->getGeometryName() + " among " +
                                  (dimension == 0   ? "points"
                                   : dimension == 1 ? "lines"
                                                    : "polygons"),
                              {path, index, "geometry"});
        }
      }
      append_parts(g, out.geometry, path, index);
      out.geometry.end_geometry();
    }
    ++index;
  }
  if (errors.failed()) throw DataFileError("cannot read: " + errors.message(), {path, index, ""});
  if (dimension < 0 && has_geometry_column) {
    // No non-empty geometry: infer from the layer's declared type.
    int d = dimension_of(layer->GetGeomType());
    out.geometry.kind = static_cast<GeometryKind>(d < 0 ? 2 : d);
  }
  return out;
}

}  // namespace jangkau
