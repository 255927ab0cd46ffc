#include "circle_geometry.hpp"

#include <algorithm>
#include <cmath>

namespace jangkau {

double circular_segment_area(double r, double dt) {
  const double d = dt < 1e-3 ? dt * dt * dt / 6.0 * (1.0 - dt * dt / 20.0) : dt - std::sin(dt);
  return 0.5 * r * r * d;
}

Box arc_box(double cx, double cy, double r, double a, double b) {
  Box box;
  box.expand(cx + r * std::cos(a), cy + r * std::sin(a));
  box.expand(cx + r * std::cos(b), cy + r * std::sin(b));
  const double quarter = std::numbers::pi / 2.0;
  for (double k = std::ceil(a / quarter); k * quarter < b; k += 1.0) {
    const double t = k * quarter;
    box.expand(cx + r * std::cos(t), cy + r * std::sin(t));
  }
  return box;
}

bool segment_circle_roots(double qx, double qy, double ex, double ey, double r, double& t_lo, double& t_hi) {
  const double len2 = ex * ex + ey * ey;
  if (!(len2 > 0.0)) return false;
  const double b = qx * ex + qy * ey, c = qx * qx + qy * qy - r * r;
  const double disc = b * b - len2 * c;
  if (!(disc > 0.0)) return false;
  const double sq = std::sqrt(disc);
  // The larger-magnitude root first, the other from the product c / len2.
  const double qq = b >= 0.0 ? -(b + sq) : -(b - sq);
  t_lo = qq / len2;
  t_hi = qq != 0.0 ? c / qq : -t_lo;
  if (t_lo > t_hi) std::swap(t_lo, t_hi);
  return t_lo < t_hi;
}

void arc_line_crossings(double cx, double cy, double r, double t0, double dt, bool vertical, double line,
                        std::vector<double>& out) {
  const double d = vertical ? line - cx : line - cy;
  if (!(std::abs(d) < r)) return;
  // Vertical line x = cx + d: angles ±acos(d/r); horizontal y = cy + d: asin(d/r) and π − asin(d/r).
  double a1, a2;
  if (vertical) {
    a1 = std::acos(d / r);
    a2 = kTwoPi - a1;
  } else {
    a1 = std::asin(d / r);
    a2 = std::numbers::pi - a1;
  }
  for (double a : {a1, a2}) {
    double rel = std::fmod(a - t0, kTwoPi);
    if (rel < 0.0) rel += kTwoPi;
    if (rel > 0.0 && rel < dt) out.push_back(t0 + rel);
  }
}

namespace {
// ∫_a^b √(r² − t²) dt for −r ≤ a ≤ b ≤ r: ½[b·h(b) − a·h(a) + r²·(asin(b/r) − asin(a/r))], the
// asin difference as the angle between (h(a), a) and (h(b), b).
double chord_integral(double r, double a, double b) {
  if (!(b > a)) return 0.0;
  const double ha = std::sqrt(std::max(0.0, (r - a) * (r + a)));
  const double hb = std::sqrt(std::max(0.0, (r - b) * (r + b)));
  const double dtheta = std::atan2(b * ha - a * hb, ha * hb + a * b);
  return 0.5 * (b * hb - a * ha + r * r * dtheta);
}
}  // namespace

double disc_rect_area(double cx, double cy, double r, double x0, double y0, double x1, double y1) {
  if (!(r > 0.0) || !(x1 > x0) || !(y1 > y0)) return 0.0;
  // Centre the disc at the origin.
  const double a = std::max(x0 - cx, -r), b = std::min(x1 - cx, r);
  const double lo = y0 - cy, hi = y1 - cy;
  if (!(b > a) || lo >= r || hi <= -r) return 0.0;
  // Height at t: [max(lo, −h), min(hi, h)]. Break points where h(t) = |hi| or |lo|, i.e.
  // |t| = √(r² − hi²) and √(r² − lo²); between break points the height is one of
  // hi − lo, hi + h, h − lo, 2h or 0, whose integrals are polynomial or chord_integral().
  std::vector<double> ts{a, b};
  for (double y : {lo, hi})
    if (std::abs(y) < r) {
      const double s = std::sqrt((r - y) * (r + y));
      for (double t : {-s, s})
        if (t > a && t < b) ts.push_back(t);
    }
  std::sort(ts.begin(), ts.end());
  double area = 0.0;
  for (std::size_t k = 0; k + 1 < ts.size(); ++k) {
    const double p = ts[k], q = ts[k + 1];
    if (!(q > p)) continue;
    const double m = 0.5 * (p + q);
    const double hm = std::sqrt(std::max(0.0, (r - m) * (r + m)));
    const bool top_is_hi = hi<hm, bottom_is_lo = lo> - hm;  // which bound is active on (p, q)
    const double top_hi = top_is_hi ? hi : hm, bottom = bottom_is_lo ? lo : -hm;
    if (!(top_hi > bottom)) continue;  // empty on the whole interval
    const double w = q - p, h_int = chord_integral(r, p, q);
    area += (top_is_hi ? hi * w : h_int) - (bottom_is_lo ? lo * w : -h_int);
  }
  return std::max(0.0, area);
}

}  // namespace jangkau
