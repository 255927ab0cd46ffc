"""
jangkau engine (C++). Use the public API in the `jangkau` package.
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['CatchmentSpec', 'Decay', 'GeometryArray', 'GeometryKind', 'Graph', 'Grid', 'JoinKind', 'PMedianBranchResult', 'QuotaMode', 'RasterType', 'RoadNetwork', 'SegmentIndex', 'SitingModel', 'SitingOptions', 'SitingResultCore', 'SnapDirection', 'SpeedTable', 'StopFlag', 'SubgradientSchedule', 'VectorLayer', 'access_index', 'allocate_nearest', 'buffer', 'buffer_union', 'cell_coverage', 'cost_matrix', 'coverage_fraction_sum', 'crs_info', 'difference_zones', 'disc_union_areas', 'disc_union_zonal_sums', 'dissolve', 'geometry_length', 'induced_subgraph', 'intersect_zones', 'intersection_areas', 'is_valid', 'largest_component', 'list_layers', 'locate_points', 'mclp_branch_and_bound', 'mclp_lagrangian', 'nearest_facility', 'nearest_points', 'network_access_many', 'orient_ccw', 'p_median_branch_and_bound', 'polygon_area', 'read_osm_window', 'read_raster', 'read_raster_window', 'read_speed_table', 'read_vector', 'road_network_arrays', 'road_network_from_arrays', 'road_network_from_layers', 'road_network_from_osm', 'shortest_path_costs', 'siting_solve', 'snap_brute_force', 'snap_entries', 'transform_geometry', 'transform_xy', 'unary_union', 'utm_crs_for', 'validate_polygons', 'weak_components', 'weighted_group_stats', 'write_raster', 'write_vector', 'zonal_sums']
class StopFlag:
    """
    A flag one thread sets so that the engine calls given it in other threads (stop=...) wind down and return their best answer so far, as at their deadline. Starts unset; set() cannot be undone.
    """
    def __init__(self) -> None:
        ...
    def is_set(self) -> bool:
        """
        Whether set() was called.
        """
    def set(self) -> None:
        """
        Ask every call tied to this flag to wind down.
        """
class GeometryKind:
    """
    Members:
    
      Point
    
      Line
    
      Polygon
    """
    Line: typing.ClassVar[GeometryKind]
    Point: typing.ClassVar[GeometryKind]
    Polygon: typing.ClassVar[GeometryKind]
    __members__: typing.ClassVar[dict[str, GeometryKind]]
    @typing.overload
    def __eq__(self, other: GeometryKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: GeometryKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class GeometryArray:
    """
    Geometries as flat coordinate and offset arrays (always multi-part). The array properties are read-only views that keep the GeometryArray alive.
    """
    def __init__(self, kind: GeometryKind, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], ring_offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], part_offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], geom_offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> None:
        """
        Copies the arrays once (strided input is read in place, other dtypes converted).
        """
    def __len__(self) -> int:
        ...
    @property
    def geom_offsets(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def kind(self) -> GeometryKind:
        ...
    @property
    def part_offsets(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def ring_offsets(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def x(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def y(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class Grid:
    """
    A north-up raster grid (origin = north-west corner).
    """
    def __init__(self, origin_x: typing.SupportsFloat | typing.SupportsIndex, origin_y: typing.SupportsFloat | typing.SupportsIndex, cell_width: typing.SupportsFloat | typing.SupportsIndex, cell_height: typing.SupportsFloat | typing.SupportsIndex, rows: typing.SupportsInt | typing.SupportsIndex, cols: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def cell_area(self) -> float:
        ...
    @property
    def cell_height(self) -> float:
        ...
    @property
    def cell_width(self) -> float:
        ...
    @property
    def cols(self) -> int:
        ...
    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        ...
    @property
    def origin_x(self) -> float:
        ...
    @property
    def origin_y(self) -> float:
        ...
    @property
    def rows(self) -> int:
        ...
    @property
    def shape(self) -> tuple[int, int]:
        ...
class Graph:
    """
    Directed graph in CSR form with one or more weight sets (engine side).
    """
    @staticmethod
    def from_edges(node_count: typing.SupportsInt | typing.SupportsIndex, from_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], to_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], weights: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]]) -> Graph:
        """
        Builds the graph from a directed edge list; raises InvalidInputError naming the bad edge.
        """
    def reversed(self) -> Graph:
        ...
    def weights(self, weight_set: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_count(self) -> int:
        ...
    @property
    def edge_ids(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def node_count(self) -> int:
        ...
    @property
    def offsets(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def targets(self) -> numpy.typing.NDArray[numpy.int32]:
        ...
    @property
    def weight_count(self) -> int:
        ...
class Decay:
    """
    Distance decay of accessibility weights (see docs/access.md).
    
    Members:
    
      Step
    
      Zones
    
      Gaussian
    
      Power
    
      Exponential
    """
    Exponential: typing.ClassVar[Decay]
    Gaussian: typing.ClassVar[Decay]
    Power: typing.ClassVar[Decay]
    Step: typing.ClassVar[Decay]
    Zones: typing.ClassVar[Decay]
    __members__: typing.ClassVar[dict[str, Decay]]
    @typing.overload
    def __eq__(self, other: Decay) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: Decay) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class CatchmentSpec:
    """
    One floating-catchment index: a decay (see Decay) and whether it is the Hansen potential.
    """
    def __init__(self, *, decay: Decay = ..., max_cost: typing.SupportsFloat | typing.SupportsIndex = ..., zone_breaks: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [10.0, 20.0, 30.0], zone_weights: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [1.0, 0.68, 0.22], beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, min_cost: typing.SupportsFloat | typing.SupportsIndex = 1.0, hansen: bool = False) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def beta(self) -> float:
        ...
    @property
    def decay(self) -> Decay:
        ...
    @property
    def hansen(self) -> bool:
        ...
    @property
    def max_cost(self) -> float:
        ...
    @property
    def min_cost(self) -> float:
        ...
    @property
    def zone_breaks(self) -> list[float]:
        ...
    @property
    def zone_weights(self) -> list[float]:
        ...
class SitingModel:
    """
    Which siting model siting_solve solves.
    
    Members:
    
      MCLP
    
      LSCP
    
      P_MEDIAN
    """
    LSCP: typing.ClassVar[SitingModel]
    MCLP: typing.ClassVar[SitingModel]
    P_MEDIAN: typing.ClassVar[SitingModel]
    __members__: typing.ClassVar[dict[str, SitingModel]]
    @typing.overload
    def __eq__(self, other: SitingModel) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: SitingModel) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class QuotaMode:
    """
    How group quotas are read.
    
    Members:
    
      AT_LEAST
    
      EXACTLY
    """
    AT_LEAST: typing.ClassVar[QuotaMode]
    EXACTLY: typing.ClassVar[QuotaMode]
    __members__: typing.ClassVar[dict[str, QuotaMode]]
    @typing.overload
    def __eq__(self, other: QuotaMode) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: QuotaMode) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class SitingOptions:
    """
    Solver settings shared by the siting models (see core/siting.hpp).
    """
    def __init__(self, *, threads: typing.SupportsInt | typing.SupportsIndex = 0, local_search: bool = True, max_swaps: typing.SupportsInt | typing.SupportsIndex = 10000, bound_work_limit: typing.SupportsFloat | typing.SupportsIndex = 200000000.0, lagrangian_iterations: typing.SupportsInt | typing.SupportsIndex = 300, gap_tolerance: typing.SupportsFloat | typing.SupportsIndex = 0.0001, shake_rounds: typing.SupportsInt | typing.SupportsIndex = 30, shake_work_limit: typing.SupportsFloat | typing.SupportsIndex = 500000000.0, pair_moves: bool = True) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def bound_work_limit(self) -> float:
        """
        nnz * (p + 1) below which every greedy iterate gets exact gains.
        """
    @bound_work_limit.setter
    def bound_work_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def gap_tolerance(self) -> float:
        """
        Relative gap at which bounding and restarts stop.
        """
    @gap_tolerance.setter
    def gap_tolerance(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def lagrangian_iterations(self) -> int:
        """
        Subgradient iterations of the Lagrangian bound (0 = none).
        """
    @lagrangian_iterations.setter
    def lagrangian_iterations(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def local_search(self) -> bool:
        """
        Run the 1-swap local search after the greedy.
        """
    @local_search.setter
    def local_search(self, arg0: bool) -> None:
        ...
    @property
    def max_swaps(self) -> int:
        """
        Upper limit on accepted swaps.
        """
    @max_swaps.setter
    def max_swaps(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def pair_moves(self) -> bool:
        """
        LSCP: apply 2-for-1 moves after redundancy elimination.
        """
    @pair_moves.setter
    def pair_moves(self, arg0: bool) -> None:
        ...
    @property
    def shake_rounds(self) -> int:
        """
        Shakes of the variable neighbourhood search (MCLP, p-median; 0 = none).
        """
    @shake_rounds.setter
    def shake_rounds(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def shake_work_limit(self) -> float:
        """
        Work cap of the shakes in entry visits.
        """
    @shake_work_limit.setter
    def shake_work_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def threads(self) -> int:
        """
        Worker threads (0 = automatic: 1 below 10^6 stored entries, else all cores).
        """
    @threads.setter
    def threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class SitingResultCore:
    """
    Raw result of a siting solver (see jangkau.siting.SitingResult).
    """
    @property
    def assignment(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def bound(self) -> float:
        ...
    @property
    def closed_bound(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def covered(self) -> numpy.typing.NDArray[numpy.uint8]:
        ...
    @property
    def floors_met(self) -> bool:
        ...
    @property
    def gap(self) -> float:
        ...
    @property
    def greedy_objective(self) -> float:
        ...
    @property
    def marginal_gain(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def multipliers(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def objective(self) -> float:
        ...
    @property
    def open_bound(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def sites(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def swaps(self) -> int:
        ...
    @property
    def unassigned_cost(self) -> float:
        ...
    @property
    def unreachable(self) -> numpy.typing.NDArray[numpy.uint8]:
        ...
class SubgradientSchedule:
    """
    Subgradient steps per node and the step factor's rule of a Lagrangian branch-and-bound (core/siting_bb_schedule.hpp); checked when used.
    """
    def __init__(self, *, root_iterations: typing.SupportsInt | typing.SupportsIndex = 3000, node_iterations: typing.SupportsInt | typing.SupportsIndex = 200, root_patience: typing.SupportsInt | typing.SupportsIndex = 40, node_patience: typing.SupportsInt | typing.SupportsIndex = 20, root_theta: typing.SupportsFloat | typing.SupportsIndex = 2.0, node_theta: typing.SupportsFloat | typing.SupportsIndex = 2.0, theta_floor: typing.SupportsFloat | typing.SupportsIndex = 1e-07) -> None:
        ...
    @property
    def node_iterations(self) -> int:
        ...
    @node_iterations.setter
    def node_iterations(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def node_patience(self) -> int:
        ...
    @node_patience.setter
    def node_patience(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def node_theta(self) -> float:
        ...
    @node_theta.setter
    def node_theta(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def root_iterations(self) -> int:
        ...
    @root_iterations.setter
    def root_iterations(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def root_patience(self) -> int:
        ...
    @root_patience.setter
    def root_patience(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def root_theta(self) -> float:
        ...
    @root_theta.setter
    def root_theta(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def theta_floor(self) -> float:
        ...
    @theta_floor.setter
    def theta_floor(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class PMedianBranchResult:
    """
    Result of p_median_branch_and_bound.
    """
    @property
    def incumbent_updates(self) -> int:
        ...
    @property
    def nodes(self) -> int:
        ...
    @property
    def open_nodes(self) -> int:
        ...
    @property
    def proven(self) -> bool:
        ...
    @property
    def result(self) -> SitingResultCore:
        ...
    @property
    def root_bound(self) -> float:
        ...
    @property
    def root_closed(self) -> int:
        ...
    @property
    def root_opened(self) -> int:
        ...
class RasterType:
    """
    Members:
    
      Float32
    
      Float64
    
      Int32
    
      UInt8
    """
    Float32: typing.ClassVar[RasterType]
    Float64: typing.ClassVar[RasterType]
    Int32: typing.ClassVar[RasterType]
    UInt8: typing.ClassVar[RasterType]
    __members__: typing.ClassVar[dict[str, RasterType]]
    @typing.overload
    def __eq__(self, other: RasterType) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: RasterType) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class VectorLayer:
    """
    A layer read through GDAL/OGR. Its arrays are read-only views that keep the layer alive.
    """
    def __len__(self) -> int:
        ...
    def columns(self) -> list:
        """
        [(name, type, values, valid)]: values and valid (uint8) are read-only views.
        """
    @property
    def crs(self) -> typing.Any:
        ...
    @property
    def fid(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def geometry(self) -> GeometryArray:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def source(self) -> str:
        ...
class SpeedTable:
    """
    Speed per road class (see datasets/road_speeds.csv).
    """
    def __len__(self) -> int:
        ...
    def find_loose(self, value: str) -> int:
        ...
    @property
    def names(self) -> list[str]:
        ...
    @property
    def routable(self) -> numpy.typing.NDArray[numpy.uint8]:
        ...
    @property
    def speed_kmh(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class JoinKind:
    """
    Members:
    
      EndpointToEndpoint
    
      EndpointToLine
    
      Crossing
    
      Touch
    
      Duplicate
    """
    Crossing: typing.ClassVar[JoinKind]
    Duplicate: typing.ClassVar[JoinKind]
    EndpointToEndpoint: typing.ClassVar[JoinKind]
    EndpointToLine: typing.ClassVar[JoinKind]
    Touch: typing.ClassVar[JoinKind]
    __members__: typing.ClassVar[dict[str, JoinKind]]
    @typing.overload
    def __eq__(self, other: JoinKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: JoinKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class RoadNetwork:
    """
    A road network as a directed edge list (see io/roads.hpp).
    """
    def components(self) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.int64]]:
        """
        (labels per node, sizes per component), components by decreasing size.
        """
    def largest_component(self) -> RoadNetwork:
        ...
    def subnetwork(self, keep_node: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> RoadNetwork:
        ...
    @property
    def class_names(self) -> list[str]:
        ...
    @property
    def crs(self) -> str:
        ...
    @property
    def edge_class(self) -> numpy.typing.NDArray[numpy.int32]:
        ...
    @property
    def edge_count(self) -> int:
        ...
    @property
    def edge_feature(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_from(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_geometry(self) -> GeometryArray:
        ...
    @property
    def edge_geometry_offsets(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_geometry_x(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_geometry_y(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_layer(self) -> numpy.typing.NDArray[numpy.int32]:
        ...
    @property
    def edge_length_m(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_line(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_piece(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_speed_kmh(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_time_s(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def edge_to(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def edge_twin(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def excluded_feature(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        OSM way ids left out because they are closed to motor vehicles.
        """
    @property
    def graph(self) -> Graph:
        """
        The edge list as a CSR Graph built once with the network: weight sets time_s, length_m; edge ids are edge indices.
        """
    @property
    def join_distance_m(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def join_kind(self) -> numpy.typing.NDArray[numpy.uint8]:
        ...
    @property
    def join_lat(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def join_line_a(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def join_line_b(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def join_lon(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def join_x(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def join_y(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def line_feature(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def line_layer(self) -> numpy.typing.NDArray[numpy.int32]:
        ...
    @property
    def node_count(self) -> int:
        ...
    @property
    def node_lat(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def node_lon(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def node_x(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def node_y(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def reversed_graph(self) -> Graph:
        """
        The same edges reversed (costs to a node), built once with the network; same weight sets.
        """
    @property
    def skipped_feature(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def skipped_layer(self) -> numpy.typing.NDArray[numpy.int32]:
        ...
    @property
    def skipped_reason(self) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Why each skipped feature carries no road: 0 empty geometry, 1 zero length, 2 collapsed by snapping.
        """
class SegmentIndex:
    """
    Uniform-grid index over the segments of line geometries, for snapping (exact nearest segment).
    """
    def __init__(self, lines: GeometryArray, include: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> None:
        ...
    def snap(self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], max_snap_m: typing.SupportsFloat | typing.SupportsIndex, walk_speed_kmh: typing.SupportsFloat | typing.SupportsIndex, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> dict:
        ...
    @property
    def segment_count(self) -> int:
        ...
class SnapDirection:
    """
    Members:
    
      FromPoint
    
      ToPoint
    """
    FromPoint: typing.ClassVar[SnapDirection]
    ToPoint: typing.ClassVar[SnapDirection]
    __members__: typing.ClassVar[dict[str, SnapDirection]]
    @typing.overload
    def __eq__(self, other: SnapDirection) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: SnapDirection) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
def access_index(demand: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], supply: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], cost: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], population: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], capacity: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], decay: Decay, max_cost: typing.SupportsFloat | typing.SupportsIndex = ..., zone_breaks: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [10.0, 20.0, 30.0], zone_weights: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [1.0, 0.68, 0.22], beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, min_cost: typing.SupportsFloat | typing.SupportsIndex = 1.0, hansen: bool = False) -> tuple:
    """
    (access, ratio, catchment_demand): two-step floating catchment with the given decay, or the Hansen potential (hansen=True, Power/Exponential decay only).
    """
def allocate_nearest(cell_x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], cell_y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], population: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], facility_x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], facility_y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    Nearest-facility allocation: (facility, distance) per cell and per facility (population, mean distance, [p50; p90] distance).
    """
def buffer(geometry: GeometryArray, distance: typing.SupportsFloat | typing.SupportsIndex, quadrant_segments: typing.SupportsInt | typing.SupportsIndex = 8) -> GeometryArray:
    ...
def buffer_union(points: GeometryArray, radius: typing.SupportsFloat | typing.SupportsIndex, quadrant_segments: typing.SupportsInt | typing.SupportsIndex = 8) -> GeometryArray:
    """
    Union of discs of `radius` around the points (one polygon geometry).
    """
def cell_coverage(grid: Grid, polygons: GeometryArray, min_fraction: typing.SupportsFloat | typing.SupportsIndex = 0.0, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]:
    """
    Exact covered fraction of every cell touched by each polygon: (offsets, cells, fractions) in CSR form.
    """
def cost_matrix(graph: Graph, source_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], source_offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, source_group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, target_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, target_offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, target_group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, weight_set: typing.SupportsInt | typing.SupportsIndex = 0, cutoff: typing.SupportsFloat | typing.SupportsIndex = ..., threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]:
    """
    (source, target, cost) COO arrays sorted by source then target.
    """
def coverage_fraction_sum(grid: Grid, polygons: GeometryArray, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Per cell, the sum of the covered fractions of all polygons (rows x cols).
    """
def crs_info(definition: str) -> tuple[str, str, bool]:
    """
    (authority, name, is_geographic) of a CRS definition; CrsError if unknown.
    """
def difference_zones(zones: GeometryArray, cover: GeometryArray, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> GeometryArray:
    """
    zones[k] − cover[0] for every zone.
    """
def disc_union_areas(zones: GeometryArray, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], radii: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], quadrant_segments: typing.SupportsInt | typing.SupportsIndex = 0, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    area(zone ∩ union of discs) for every radius (rows) and zone (columns); quadrant_segments 0 = true circles (exact), k ≥ 1 = shapely-like 4k-gons.
    """
def disc_union_zonal_sums(grid: Grid, values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], zones: GeometryArray, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], radii: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], nodata: typing.SupportsFloat | typing.SupportsIndex | None = None, quadrant_segments: typing.SupportsInt | typing.SupportsIndex = 0, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Σ value·area(cell ∩ zone ∩ union of discs)/area(cell) for every radius (rows) and zone (columns); true circles: exact partial cells (arcs split at grid lines, chord + circular segment per cell).
    """
def dissolve(geometry: GeometryArray, group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], n_groups: typing.SupportsInt | typing.SupportsIndex, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> GeometryArray:
    """
    Union of the geometries of each group 0..n_groups-1 (GEOS, parallel over groups).
    """
def geometry_length(geometry: GeometryArray) -> numpy.typing.NDArray[numpy.float64]:
    """
    Planar length of every line (perimeter of polygons), in coordinate units.
    """
def induced_subgraph(graph: Graph, keep: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> tuple:
    """
    (subgraph, parent_node) induced by keep != 0.
    """
def intersect_zones(zones: GeometryArray, cover: GeometryArray, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> GeometryArray:
    """
    zones[k] ∩ cover[0] for every zone.
    """
def intersection_areas(zones: GeometryArray, cover: GeometryArray, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Area of zones[k] ∩ cover[0] for every zone (coordinate units squared).
    """
def is_valid(geometry: GeometryArray) -> numpy.ndarray:
    """
    GEOS validity of every geometry (bool array).
    """
def largest_component(graph: Graph) -> tuple:
    """
    (subgraph, parent_node) of the largest weakly connected component.
    """
def list_layers(path: str) -> list[str]:
    ...
def locate_points(polygons: GeometryArray, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.int64]:
    """
    Index of the polygon containing each point (R-tree + exact test), -1 where none.
    """
def mclp_branch_and_bound(weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], rows: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], p: typing.SupportsInt | typing.SupportsIndex, free: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], start: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], start_mu: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], *, root_iterations: typing.SupportsInt | typing.SupportsIndex = 4000, root_patience: typing.SupportsInt | typing.SupportsIndex = 150, node_iterations: typing.SupportsInt | typing.SupportsIndex = 15, node_patience: typing.SupportsInt | typing.SupportsIndex = 15, max_nodes: typing.SupportsInt | typing.SupportsIndex = 0, local_search: bool = True, time_limit_s: typing.SupportsFloat | typing.SupportsIndex = ..., stop: StopFlag | None = None) -> dict:
    """
    Lagrangian branch-and-bound of the MCLP over candidate-major demand rows (internal; see jangkau.selection.siting_mclp_exact.branch_and_bound). Returns a dict: sites, objective, bound, root_bound, root_value, nodes, root_closed, root_forced, proven, integral.
    """
def mclp_lagrangian(weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], rows: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], p: typing.SupportsInt | typing.SupportsIndex, free: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], incumbent: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], *, iterations: typing.SupportsInt | typing.SupportsIndex = 4000, patience: typing.SupportsInt | typing.SupportsIndex = 150, history: typing.SupportsInt | typing.SupportsIndex = 20, time_limit_s: typing.SupportsFloat | typing.SupportsIndex = ..., stop: StopFlag | None = None) -> dict:
    """
    LP-strength Lagrangian upper bound of the MCLP over candidate-major demand rows (internal; see jangkau.selection.siting_mclp_exact.lagrangian_bound). Returns a dict: bound, mu, sigma, best_set, best_value, iterations, history.
    """
def nearest_facility(graph: Graph, node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, weight_set: typing.SupportsInt | typing.SupportsIndex = 0, cutoff: typing.SupportsFloat | typing.SupportsIndex = ...) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.int64]]:
    """
    (cost, facility) per node from one multi-source search; facility -1 where unreached.
    """
def nearest_points(target_x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], target_y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], query_x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], query_y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], threads: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]:
    """
    Nearest target (index, distance) of every query point; ties go to the lower index.
    """
def network_access_many(graph: Graph, source_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], source_offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], source_group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], target_node: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], target_offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], target_group: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], extra_target: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], extra_source: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], extra_cost: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], population: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], capacity: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weight_set: typing.SupportsInt | typing.SupportsIndex, cutoff: typing.SupportsFloat | typing.SupportsIndex, cost_divisor: typing.SupportsFloat | typing.SupportsIndex, specs: collections.abc.Sequence[CatchmentSpec], threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> list:
    """
    [(access, ratio, catchment_demand), ...]: several floating catchments (list of CatchmentSpec) from one set of searches.
    """
def orient_ccw(geometry: GeometryArray) -> GeometryArray:
    """
    Copy with shells counter-clockwise and holes clockwise.
    """
def p_median_branch_and_bound(weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], demand: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], cost: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], max_cost: typing.SupportsFloat | typing.SupportsIndex, p: typing.SupportsInt | typing.SupportsIndex, fixed: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], start_sites: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], multipliers: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], *, options: SitingOptions = ..., node_limit: typing.SupportsInt | typing.SupportsIndex = 1000000, gap_tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-09, schedule: SubgradientSchedule = ..., threads: typing.SupportsInt | typing.SupportsIndex = 0, batch: typing.SupportsInt | typing.SupportsIndex = 2, strongest_closing: bool = False, progress: typing.Any = None, time_limit_s: typing.SupportsFloat | typing.SupportsIndex = ...) -> PMedianBranchResult:
    """
    Exact p-median by Lagrangian branch-and-bound on candidate-major CSR arrays (internal; used by jangkau.siting's auto solver). start_sites / multipliers may be empty. time_limit_s (seconds) is checked inside the subgradient loop: past it the incumbent comes back with the open nodes' bound, proven=False.
    """
def polygon_area(geometry: GeometryArray) -> numpy.typing.NDArray[numpy.float64]:
    """
    Planar area of every polygon (coordinate units squared).
    """
def read_osm_window(path: str, speeds: SpeedTable, classes: collections.abc.Sequence[str], crs: str, honour_access: bool = True, window: typing.Any = None, threads: typing.SupportsInt | typing.SupportsIndex = 0, facilities: bool = True, progress: typing.Any = None, halo_deg: typing.SupportsFloat | typing.SupportsIndex = 0.1) -> tuple[RoadNetwork, dict, dict]:
    """
    Reads the roads (a RoadNetwork), the facility candidates (a dict of arrays) and the read statistics of a lon/lat window (min_lon, min_lat, max_lon, max_lat; None = the whole file) of an OSM file (io/osm_reader.hpp).
    """
def read_raster(path: str, band: typing.SupportsInt | typing.SupportsIndex = 1) -> tuple[numpy.typing.NDArray[numpy.float64], Grid, str, typing.Any]:
    """
    Reads one band: (values[rows, cols] float64, Grid, crs_wkt, nodata).
    """
def read_raster_window(path: str, min_x: typing.SupportsFloat | typing.SupportsIndex, min_y: typing.SupportsFloat | typing.SupportsIndex, max_x: typing.SupportsFloat | typing.SupportsIndex, max_y: typing.SupportsFloat | typing.SupportsIndex, crs: str = '', band: typing.SupportsInt | typing.SupportsIndex = 1) -> tuple[numpy.typing.NDArray[numpy.float64], Grid, str, typing.Any]:
    """
    Reads the cells of one band that intersect a box (in `crs`; empty: the raster's CRS), without resampling: (values[rows, cols] float64, Grid of the window, crs_wkt, nodata).
    """
def read_speed_table(path: str) -> SpeedTable:
    """
    Reads a speed table CSV.
    """
def read_vector(path: str, layer: str = '', assume_crs: str = '', x_column: str = '', y_column: str = '', wkt_column: str = '', where: str = '', require_geometry: bool = True) -> VectorLayer:
    ...
def road_network_arrays(network: RoadNetwork) -> dict:
    """
    Every array of a RoadNetwork as a dict of new numpy arrays (for the cache of OSM cuts).
    """
def road_network_from_arrays(arrays: dict, crs: str, class_names: collections.abc.Sequence[str]) -> RoadNetwork:
    """
    A RoadNetwork from road_network_arrays' dict (CSR graphs rebuilt); InvalidInputError when arrays are missing or inconsistent.
    """
def road_network_from_layers(paths: collections.abc.Sequence[str], layers: collections.abc.Sequence[str], road_classes: collections.abc.Sequence[str], class_columns: collections.abc.Sequence[str], assume_crs: collections.abc.Sequence[str], speeds: SpeedTable, crs: str, snap_tolerance_m: typing.SupportsFloat | typing.SupportsIndex, split_crossings: bool, node_tolerance_m: typing.SupportsFloat | typing.SupportsIndex, grade_separated: collections.abc.Sequence[str], drop_duplicates: bool, progress: typing.Any = None) -> RoadNetwork:
    ...
def road_network_from_osm(path: str, speeds: SpeedTable, classes: collections.abc.Sequence[str], crs: str, progress: typing.Any = None, honour_access: bool = True) -> RoadNetwork:
    ...
def shortest_path_costs(graph: Graph, sources: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], weight_set: typing.SupportsInt | typing.SupportsIndex = 0, cutoff: typing.SupportsFloat | typing.SupportsIndex = ..., threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Dense (len(sources), node_count) costs, +inf where unreached.
    """
def siting_solve(model: SitingModel, weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], demand: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], cost: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], max_cost: typing.SupportsFloat | typing.SupportsIndex, p: typing.SupportsInt | typing.SupportsIndex, precovered: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], fixed: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], quota: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], mode: QuotaMode, zone: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], floor: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], *, options: SitingOptions = ..., progress: typing.Any = None, time_limit_s: typing.SupportsFloat | typing.SupportsIndex = ...) -> SitingResultCore:
    """
    Solve a siting model on candidate-major CSR arrays (internal; use jangkau.siting). p is ignored for LSCP. time_limit_s (seconds, default inf) is a soft deadline: past it the search phases stop and the best set so far is returned with its certified bound.
    """
def snap_brute_force(lines: GeometryArray, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], max_snap_m: typing.SupportsFloat | typing.SupportsIndex, walk_speed_kmh: typing.SupportsFloat | typing.SupportsIndex, include: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> dict:
    ...
def snap_entries(edge: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], fraction: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], walk_time_s: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], beyond_max: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], edge_from: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], edge_to: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], edge_time_s: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], edge_twin: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], direction: SnapDirection) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]:
    ...
def transform_geometry(geometry: GeometryArray, src: str, dst: str) -> GeometryArray:
    """
    A transformed copy of the geometries.
    """
def transform_xy(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], src: str, dst: str) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    Transforms coordinate arrays (lon/lat order).
    """
def unary_union(geometry: GeometryArray) -> GeometryArray:
    ...
def utm_crs_for(lon: typing.SupportsFloat | typing.SupportsIndex, lat: typing.SupportsFloat | typing.SupportsIndex) -> str:
    ...
def validate_polygons(geometry: GeometryArray, repair: bool = True, allow_empty: bool = False, file: str = '') -> tuple[GeometryArray, list]:
    """
    Validity check and MakeValid repair; returns (geometry, [(feature, reason, action, area_before, area_after)]).
    """
def weak_components(graph: Graph) -> numpy.typing.NDArray[numpy.int64]:
    """
    Weakly connected component per node, 0 = largest.
    """
def weighted_group_stats(values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], groups: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], n_groups: typing.SupportsInt | typing.SupportsIndex, probabilities: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    Per group: (total weight, weighted mean, weighted quantiles[len(probabilities), n_groups]).
    """
def write_raster(path: str, values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], grid: Grid, crs_wkt: str = '', nodata: typing.SupportsFloat | typing.SupportsIndex | None = None, type: RasterType = ..., deflate_level: typing.SupportsInt | typing.SupportsIndex = 6) -> None:
    """
    Writes a compressed GeoTIFF atomically and deterministically.
    """
def write_vector(path: str, geometry: typing.Any, crs: typing.Any, names: collections.abc.Sequence[str], columns: list, precision: typing.SupportsInt | typing.SupportsIndex = 7, layer_name: str = '') -> None:
    """
    Atomically writes a layer; the format comes from the extension.
    """
def zonal_sums(grid: Grid, values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], polygons: GeometryArray, nodata: typing.SupportsFloat | typing.SupportsIndex | None = None, threads: typing.SupportsInt | typing.SupportsIndex = 0, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    Coverage-weighted (sum, count, covered_cells) of a raster per polygon (exactextract's rule).
    """
__version__: str = '0.2.0'
