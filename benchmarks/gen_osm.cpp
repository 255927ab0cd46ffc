// Writes a valid, sorted .osm.pbf the size of a Java extract (benchmarks/bench_osm.py reads it):
// real road networks (the OSM test extracts in ../shared/data/roads, shifted and replicated)
// tiled over Java's bounding box, extra copies of the dense urban extract inside the benchmark
// window (Kabupaten Serang), and building-like noise (closed ways of 4-7 nodes, clustered like
// mapped villages, a few tagged POI nodes) until the node target is reached.
//
//   g++ -O2 -std=c++17 benchmarks/gen_osm.cpp -o /tmp/jangkau-bench/gen_osm -lz -lbz2 -lexpat -pthread
//   /tmp/jangkau-bench/gen_osm OUT.osm.pbf NODES SEED RURAL.osm.pbf URBAN.osm.pbf
//
// Target counts and their basis: docs/benchmarks.md ("OpenStreetMap at Java's size"). Object
// ids are sorted (nodes, then ways, then relations, each by id), every way's nodes are in the
// file, metadata is version + timestamp (as Geofabrik's public extracts: versions mostly 1 with a
// tail, timestamps spread over 2010-2024), ids have gaps, traced corners are jittered; blocks are zlib.
// Deterministic: the same arguments give the same file.

#include <osmium/builder/osm_object_builder.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/io/any_output.hpp>
#include <osmium/memory/buffer.hpp>
#include <osmium/osm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

// Java's bounding box (Geofabrik's java extract covers roughly this) and the benchmark window
// (Kabupaten Serang's desa bounding box, HDX/BPS 2020, grown by about 10 km).
constexpr double kJavaMinLon = 105.1, kJavaMaxLon = 114.7, kJavaMinLat = -8.8, kJavaMaxLat = -5.8;
constexpr double kWinMinLon = 105.73, kWinMaxLon = 106.51, kWinMinLat = -6.43, kWinMaxLat = -5.71;

struct Tag {
  std::string k, v;
};
struct NodeRec {
  std::int64_t id;
  std::int32_t x, y;  // OSM fixed-point coordinates (1e-7 degrees)
  std::vector<Tag> tags;
};
struct WayRec {
  std::int64_t id;
  std::vector<std::int64_t> refs;
  std::vector<Tag> tags;
};
struct MemberRec {
  osmium::item_type type;
  std::int64_t ref;
  std::string role;
};
struct RelRec {
  std::int64_t id;
  std::vector<MemberRec> members;
  std::vector<Tag> tags;
};

// A real extract held in memory, its ids renumbered from 0 in file order.
struct Extract {
  std::vector<NodeRec> nodes;
  std::vector<WayRec> ways;
  std::vector<RelRec> rels;
  std::int32_t min_x = INT32_MAX, min_y = INT32_MAX, max_x = INT32_MIN, max_y = INT32_MIN;
};

std::vector<Tag> copy_tags(const osmium::TagList& tags) {
  std::vector<Tag> out;
  for (const auto& t : tags) out.push_back({t.key(), t.value()});
  return out;
}

Extract load(const std::string& path) {
  Extract e;
  std::vector<std::pair<std::int64_t, std::int64_t>> node_rank, way_rank, rel_rank;
  osmium::io::Reader reader{path};
  while (osmium::memory::Buffer buffer = reader.read()) {
    for (const auto& item : buffer) {
      if (item.type() == osmium::item_type::node) {
        const auto& n = static_cast<const osmium::Node&>(item);
        if (!n.location().valid()) continue;
        node_rank.emplace_back(n.id(), static_cast<std::int64_t>(e.nodes.size()));
        e.nodes.push_back({n.id(), n.location().x(), n.location().y(), copy_tags(n.tags())});
        e.min_x = std::min(e.min_x, n.location().x());
        e.max_x = std::max(e.max_x, n.location().x());
        e.min_y = std::min(e.min_y, n.location().y());
        e.max_y = std::max(e.max_y, n.location().y());
      } else if (item.type() == osmium::item_type::way) {
        const auto& w = static_cast<const osmium::Way&>(item);
        WayRec r{w.id(), {}, copy_tags(w.tags())};
        for (const auto& nr : w.nodes()) r.refs.push_back(nr.ref());
        way_rank.emplace_back(w.id(), static_cast<std::int64_t>(e.ways.size()));
        e.ways.push_back(std::move(r));
      } else if (item.type() == osmium::item_type::relation) {
        const auto& rel = static_cast<const osmium::Relation&>(item);
        RelRec r{rel.id(), {}, copy_tags(rel.tags())};
        for (const auto& m : rel.members()) r.members.push_back({m.type(), m.ref(), m.role()});
        rel_rank.emplace_back(rel.id(), static_cast<std::int64_t>(e.rels.size()));
        e.rels.push_back(std::move(r));
      }
    }
  }
  reader.close();
  // Renumber: each object's id becomes its rank; references follow (missing ones become -1).
  auto renumber = [](std::vector<std::pair<std::int64_t, std::int64_t>>& ranks) {
    std::sort(ranks.begin(), ranks.end());
    return [&ranks](std::int64_t id) -> std::int64_t {
      auto it = std::lower_bound(ranks.begin(), ranks.end(), std::make_pair(id, INT64_MIN));
      return (it != ranks.end() && it->first == id) ? it->second : -1;
    };
  };
  auto node_of = renumber(node_rank);
  auto way_of = renumber(way_rank);
  auto rel_of = renumber(rel_rank);
  for (std::size_t i = 0; i < e.nodes.size(); ++i) e.nodes[i].id = static_cast<std::int64_t>(i);
  for (std::size_t i = 0; i < e.ways.size(); ++i) {
    e.ways[i].id = static_cast<std::int64_t>(i);
    std::vector<std::int64_t> refs;
    for (auto r : e.ways[i].refs)
      if (auto k = node_of(r); k >= 0) refs.push_back(k);
    e.ways[i].refs = std::move(refs);
  }
  for (std::size_t i = 0; i < e.rels.size(); ++i) {
    e.rels[i].id = static_cast<std::int64_t>(i);
    std::vector<MemberRec> members;
    for (auto& m : e.rels[i].members) {
      const std::int64_t k = m.type == osmium::item_type::node  ? node_of(m.ref)
                             : m.type == osmium::item_type::way ? way_of(m.ref)
                                                                : rel_of(m.ref);
      if (k >= 0) members.push_back({m.type, k, m.role});
    }
    e.rels[i].members = std::move(members);
  }
  return e;
}

// One placed copy of an extract: its id bases and its shift.
struct Tile {
  const Extract* src;
  std::int32_t dx, dy;
  std::int64_t node_base, way_base, rel_base;
};

constexpr std::int64_t kNodeStride = 1'000'000, kWayStride = 100'000, kRelStride = 1'000;

// splitmix64 (Steele, Lea & Flood 2014): a deterministic hash of an object id, from which the
// metadata, id gaps and coordinate jitter below are drawn, so that both passes over the buildings
// agree and the same arguments give the same file.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Last-edit time of an object, as real extracts carry it: spread over 2010-2024 (not increasing
// with the id, so the delta-coded timestamps of a block cost what real ones do).
osmium::Timestamp stamp(std::int64_t id) {
  return osmium::Timestamp{static_cast<uint32_t>(1'262'304'000 + mix(static_cast<std::uint64_t>(id)) % 473'040'000)};
}

// Time a building was traced (its index `b`): spread over 2010-2024 like stamp(); its corners
// carry this time plus up to 30 s and its way up to 90 s, as one tracing session leaves them.
osmium::Timestamp traced(std::int64_t b, std::int64_t id, std::uint32_t spread) {
  const auto t0 = 1'262'304'000 + mix(static_cast<std::uint64_t>(b) ^ 0x68e31da4ULL) % 473'040'000;
  return osmium::Timestamp{static_cast<uint32_t>(t0 + mix(static_cast<std::uint64_t>(id)) % spread)};
}

// Version of an object: most are 1, a tail up to 10 (edited objects).
osmium::object_version_type version(std::int64_t id) {
  const auto h = mix(static_cast<std::uint64_t>(id) ^ 0x5bd1e995ULL) % 100;
  return static_cast<osmium::object_version_type>(h < 62 ? 1 : h < 82 ? 2 : h < 91 ? 3 : 4 + h % 7);
}

// Ids of real extracts have gaps (objects deleted, or outside the extract): the next id after
// `id` is 1-8 further (mean 4.5).
std::int64_t next_id(std::int64_t id) {
  return id + 1 + static_cast<std::int64_t>(mix(static_cast<std::uint64_t>(id) ^ 0x27d4eb2dULL) % 8);
}

// Jitter of a traced corner, ±30 units of 1e-7° (±0.33 m): hand-traced buildings are not regular polygons.
std::int32_t jitter(std::int64_t id, std::uint64_t salt) {
  return static_cast<std::int32_t>(mix(static_cast<std::uint64_t>(id) ^ salt) % 61) - 30;
}

template <class B>
void add_tags(B& parent, const std::vector<Tag>& tags) {
  if (tags.empty()) return;
  osmium::builder::TagListBuilder tb{parent};
  for (const auto& t : tags) tb.add_tag(t.k, t.v);
}

class Out {
 public:
  explicit Out(const std::string& path) : m_writer(make(path)) {}
  osmium::memory::Buffer& buffer() { return m_buffer; }
  void maybe_flush() {
    if (m_buffer.committed() > kFlushBytes) {
      m_writer(std::move(m_buffer));
      m_buffer = osmium::memory::Buffer{kBufferBytes, osmium::memory::Buffer::auto_grow::yes};
    }
  }
  void close() {
    if (m_buffer.committed() > 0) m_writer(std::move(m_buffer));
    m_writer.close();
  }

 private:
  static constexpr std::size_t kBufferBytes = 4u << 20, kFlushBytes = 3u << 20;
  static osmium::io::Writer make(const std::string& path) {
    osmium::io::Header header;
    header.set("generator", "jangkau benchmarks/gen_osm.cpp");
    header.set("sorting", "Type_then_ID");
    header.add_box(osmium::Box{kJavaMinLon, kJavaMinLat, kJavaMaxLon, kJavaMaxLat});
    osmium::io::File file{path, "pbf,add_metadata=version+timestamp"};
    return osmium::io::Writer{file, header, osmium::io::overwrite::allow};
  }
  osmium::io::Writer m_writer;
  osmium::memory::Buffer m_buffer{kBufferBytes, osmium::memory::Buffer::auto_grow::yes};
};

void write_node(Out& out, std::int64_t id, std::int32_t x, std::int32_t y, const std::vector<Tag>& tags,
                osmium::Timestamp time = {}) {
  {
    osmium::builder::NodeBuilder b{out.buffer()};
    b.set_id(id)
        .set_version(version(id))
        .set_timestamp(time.valid() ? time : stamp(id))
        .set_location(osmium::Location{x, y});
    add_tags(b, tags);
  }
  out.buffer().commit();
  out.maybe_flush();
}

void write_way(Out& out, std::int64_t id, const std::vector<std::int64_t>& refs, const std::vector<Tag>& tags,
               osmium::Timestamp time = {}) {
  {
    osmium::builder::WayBuilder b{out.buffer()};
    b.set_id(id).set_version(version(id)).set_timestamp(time.valid() ? time : stamp(id));
    {
      osmium::builder::WayNodeListBuilder nb{b};
      for (auto r : refs) nb.add_node_ref(r);
    }
    add_tags(b, tags);
  }
  out.buffer().commit();
  out.maybe_flush();
}

// Building noise: villages of buildings along a random walk, deterministic from the seed. The
// same generator runs twice (nodes, then ways) and yields the same sequence.
class Buildings {
 public:
  Buildings(std::uint64_t seed, std::int64_t count) : m_rng(seed), m_count(count) {}
  // Next building: its vertex count (4-7 distinct corners) and the corners' coordinates.
  bool next(std::vector<std::pair<std::int32_t, std::int32_t>>& corners) {
    if (m_done >= m_count) return false;
    ++m_done;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (m_left == 0) {  // a new village: somewhere in Java's box, 50-400 buildings
      m_cx = kJavaMinLon + u(m_rng) * (kJavaMaxLon - kJavaMinLon);
      m_cy = kJavaMinLat + u(m_rng) * (kJavaMaxLat - kJavaMinLat);
      m_left = 50 + static_cast<int>(u(m_rng) * 350);
    }
    --m_left;
    m_cx += (u(m_rng) - 0.5) * 0.0008;  // ~ 45 m steps
    m_cy += (u(m_rng) - 0.5) * 0.0008;
    const int k = 4 + (u(m_rng) < 0.2 ? static_cast<int>(u(m_rng) * 4) : 0);
    const double r = 0.00004 + u(m_rng) * 0.00008;  // 4-13 m
    const double phase = u(m_rng) * 6.283185307179586;
    corners.clear();
    for (int i = 0; i < k; ++i) {
      const double a = phase + 6.283185307179586 * i / k;
      corners.emplace_back(static_cast<std::int32_t>(std::lround((m_cx + r * std::cos(a)) * 1e7)),
                           static_cast<std::int32_t>(std::lround((m_cy + r * std::sin(a)) * 1e7)));
    }
    m_tagged = u(m_rng);
    return true;
  }
  double tag_draw() const { return m_tagged; }

 private:
  std::mt19937_64 m_rng;
  std::int64_t m_count, m_done = 0;
  int m_left = 0;
  double m_cx = 0, m_cy = 0, m_tagged = 0;
};

std::vector<Tag> building_tags(double draw, std::int64_t n) {
  // Tag mix of building ways (most Indonesian buildings are traced from imagery: building=yes).
  if (draw < 0.90) return {{"building", "yes"}};
  if (draw < 0.96) return {{"building", "house"}};
  if (draw < 0.98) return {{"building", "residential"}};
  if (draw < 0.985)
    return {{"building", "school"}, {"amenity", "school"}, {"name", "SD Negeri " + std::to_string(n % 997)}};
  if (draw < 0.987)
    return {{"building", "yes"}, {"amenity", "clinic"}, {"name", "Puskesmas " + std::to_string(n % 499)}};
  if (draw < 0.995) return {{"building", "yes"}, {"amenity", "place_of_worship"}, {"religion", "muslim"}};
  return {{"building", "commercial"}, {"shop", "convenience"}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s OUT.osm.pbf NODES SEED RURAL.osm.pbf URBAN.osm.pbf\n", argv[0]);
    return 2;
  }
  const std::string out_path = argv[1];
  const std::int64_t target_nodes = std::atoll(argv[2]);
  const std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const Extract rural = load(argv[4]);
  const Extract urban = load(argv[5]);

  // Tiles: the rural extract on a grid over Java's box; the urban one on a grid inside the window.
  std::vector<Tile> tiles;
  auto place = [&](const Extract& e, double lon, double lat) {
    const auto k = static_cast<std::int64_t>(tiles.size());
    tiles.push_back({&e, static_cast<std::int32_t>(std::lround(lon * 1e7)) - e.min_x,
                     static_cast<std::int32_t>(std::lround(lat * 1e7)) - e.min_y, (k + 1) * kNodeStride,
                     (k + 1) * kWayStride, (k + 1) * kRelStride});
  };
  const double rw = (rural.max_x - rural.min_x) * 1e-7, rh = (rural.max_y - rural.min_y) * 1e-7;
  for (double lat = kJavaMinLat; lat < kJavaMaxLat; lat += rh)
    for (double lon = kJavaMinLon; lon < kJavaMaxLon; lon += rw) place(rural, lon, lat);
  const double uw = (urban.max_x - urban.min_x) * 1e-7, uh = (urban.max_y - urban.min_y) * 1e-7;
  int urban_tiles = 0;
  for (double lat = kWinMinLat + 0.1; lat + uh < kWinMaxLat - 0.1; lat += 2.5 * uh)
    for (double lon = kWinMinLon + 0.1; lon + uw < kWinMaxLon - 0.1; lon += 2.5 * uw, ++urban_tiles)
      place(urban, lon, lat);
  std::int64_t tile_nodes = 0;
  for (const auto& t : tiles) tile_nodes += static_cast<std::int64_t>(t.src->nodes.size());
  const std::int64_t building_node_base = (static_cast<std::int64_t>(tiles.size()) + 1) * kNodeStride;
  const std::int64_t building_way_base = (static_cast<std::int64_t>(tiles.size()) + 1) * kWayStride;
  // About 4.3 nodes per building (4-7 corners, 20 % more than 4).
  const std::int64_t buildings = std::max<std::int64_t>(0, (target_nodes - tile_nodes) * 10 / 43);
  std::fprintf(stderr, "%zu tiles (%d urban in the window), %lld tile nodes, %lld buildings\n", tiles.size(),
               urban_tiles, static_cast<long long>(tile_nodes), static_cast<long long>(buildings));

  Out out{out_path};
  std::int64_t n_nodes = 0, n_ways = 0, n_rels = 0;
  for (const auto& t : tiles)
    for (const auto& n : t.src->nodes) {
      write_node(out, t.node_base + n.id, n.x + t.dx, n.y + t.dy, n.tags);
      ++n_nodes;
    }
  std::vector<std::pair<std::int32_t, std::int32_t>> corners;
  {
    Buildings gen(seed, buildings);
    std::int64_t id = building_node_base, b = 0;
    for (; gen.next(corners); ++b)
      for (const auto& c : corners) {
        write_node(out, id, c.first + jitter(id, 1), c.second + jitter(id, 2), {}, traced(b, id, 30));
        id = next_id(id);
        ++n_nodes;
      }
  }
  for (const auto& t : tiles)
    for (const auto& w : t.src->ways) {
      std::vector<std::int64_t> refs;
      refs.reserve(w.refs.size());
      for (auto r : w.refs) refs.push_back(t.node_base + r);
      write_way(out, t.way_base + w.id, refs, w.tags);
      ++n_ways;
    }
  {
    Buildings gen(seed, buildings);
    std::int64_t node = building_node_base, way = building_way_base, b = 0;
    std::vector<std::int64_t> refs;
    while (gen.next(corners)) {
      refs.clear();
      for (std::size_t i = 0; i < corners.size(); ++i) {
        refs.push_back(node);
        node = next_id(node);
      }
      refs.push_back(refs.front());
      write_way(out, way, refs, building_tags(gen.tag_draw(), b), traced(b, way, 90));
      ++b;
      way = next_id(way);
      ++n_ways;
    }
  }
  for (const auto& t : tiles)
    for (const auto& r : t.src->rels) {
      {
        osmium::builder::RelationBuilder b{out.buffer()};
        b.set_id(t.rel_base + r.id).set_version(version(t.rel_base + r.id)).set_timestamp(stamp(t.rel_base + r.id));
        {
          osmium::builder::RelationMemberListBuilder mb{b};
          for (const auto& m : r.members) {
            const std::int64_t ref = m.type == osmium::item_type::node  ? t.node_base + m.ref
                                     : m.type == osmium::item_type::way ? t.way_base + m.ref
                                                                        : t.rel_base + m.ref;
            mb.add_member(m.type, ref, m.role);
          }
        }
        add_tags(b, r.tags);
      }
      out.buffer().commit();
      out.maybe_flush();
      ++n_rels;
    }
  out.close();
  std::printf(
      "{\"nodes\": %lld, \"ways\": %lld, \"relations\": %lld, \"tiles\": %zu, \"urban_tiles\": %d, "
      "\"buildings\": %lld}\n",
      static_cast<long long>(n_nodes), static_cast<long long>(n_ways), static_cast<long long>(n_rels), tiles.size(),
      urban_tiles, static_cast<long long>(buildings));
  return 0;
}
