#pragma once
// Exact geometry of circles and circular arcs, shared by the disc-union overlay
// (coverage.cpp: areas per zone) and the exact partial-cell rule (cell_coverage.cpp:
// raster sums per zone). One implementation of arc areas: an arc of ∂U adds its chord
// plus the circular segment ½r²(θ − sin θ) to every Green's-theorem area.

#include <numbers>
#include <vector>

#include "geometry.hpp"

namespace jangkau {

/// 2π.
inline constexpr double kTwoPi = 2.0 * std::numbers::pi;

/// Area between the chord of an arc of angle `dt` (radians, 0 ≤ dt ≤ 2π) of a circle of
/// radius `r` and the arc: the circular segment ½r²(dt − sin dt), in squared units of r.
/// A series for dt < 1e-3 avoids the cancellation of dt − sin dt. No checks (hot path).
double circular_segment_area(double r, double dt);

/// Bounding box of the counter-clockwise arc of circle (cx, cy, r) from angle `a` to `b`
/// (radians, a ≤ b ≤ a + 2π): its end points and the axis extremes (k·π/2) it passes.
Box arc_box(double cx, double cy, double r, double a, double b);

/// Parameters t of the points where the segment q → q + e (q relative to the circle's
/// centre) meets the circle of radius r, as roots of |q + t·e|² = r² computed stably.
/// Returns false when the line misses or only touches the circle (or e = 0); otherwise
/// t_lo < t_hi (not clipped to [0, 1]).
bool segment_circle_roots(double qx, double qy, double ex, double ey, double r, double& t_lo, double& t_hi);

/// Appends to `out` the angles t with t0 < t < t0 + dt at which the counter-clockwise arc of
/// the circle (cx, cy, r) from t0 crosses the vertical line x = `line_x` (vertical = true) or
/// the horizontal line y = `line_y` (vertical = false). Touching points are not crossings.
void arc_line_crossings(double cx, double cy, double r, double t0, double dt, bool vertical, double line,
                        std::vector<double>& out);

/// Area of the disc of centre (cx, cy) and radius r ≥ 0 intersected with the axis-aligned
/// rectangle [x0, x1] × [y0, y1], in closed form: ∫ over the clipped x range of the height
/// of the disc's chord inside [y0, y1], with ∫√(r² − t²)dt = (t·√(r² − t²) + r²·asin(t/r))/2
/// (asin differences taken as one atan2, so cells much smaller than r keep their digits).
/// An empty or inverted rectangle gives 0. No other checks.
double disc_rect_area(double cx, double cy, double r, double x0, double y0, double x1, double y1);

}  // namespace jangkau
