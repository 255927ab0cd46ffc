"""The jangkau verbs as Processing algorithms. Each one turns its parameters into the arguments of
the matching ``jangkau`` subcommand (layers become file paths; layers that are not plain files are
exported first), runs it (runner.run_cli), and hands the output files to QGIS to load with the
plugin's styles. Parameters left empty are not passed, so the CLI's defaults apply."""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsProviderRegistry,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from . import runner, settings

STYLES = Path(__file__).resolve().parent / "styles"
LEVELS = ("desa", "kecamatan", "dapil", "kabupaten")
#: Output formats jangkau writes that QGIS loads as layers (the CLI picks the format by extension).
VECTOR_EXTENSIONS = ("gpkg", "geojson")


class _Styler(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML style to an output layer once QGIS has loaded it."""

    #: QGIS keeps only a C++ pointer to a post-processor: the Python objects must stay alive.
    _alive: list[_Styler] = []  # noqa: RUF012 - a keep-alive registry, deliberately shared

    def __init__(self, qml: Path) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsVectorLayer) and self.qml.is_file():
            message, ok = layer.loadNamedStyle(str(self.qml))
            if not ok:
                feedback.reportError(f"style {self.qml.name} not applied: {message}")
            layer.triggerRepaint()

    @classmethod
    def create(cls, qml: Path) -> _Styler:
        styler = cls(qml)
        cls._alive.append(styler)
        return styler


def style_for(path: str | Path) -> Path:
    """The QML shipped for an output file of ``jangkau run`` (by its name) or of a verb."""
    stem = Path(path).stem
    for prefix, qml in (("zones", "zones"), ("facilities", "facilities"), ("facility_qa", "facilities"),
                        ("plan_sites", "facilities"), ("gaps", "gaps"),
                        ("isochrones", "isochrones"), ("pilots", "pilots"), ("sites", "sites"),
                        ("coverage", "coverage"), ("access", "access")):
        if stem.startswith(prefix):
            return STYLES / f"{qml}.qml"
    return STYLES / "zones.qml"


class JangkauAlgorithm(QgsProcessingAlgorithm):
    """Common parts: the CLI call, region parameters, layers as files, outputs and their styles."""

    VERB = ""
    TITLE = ""
    HELP = ""
    #: Style of the main OUTPUT layer (a file in styles/).
    STYLE = "zones.qml"

    def __init__(self) -> None:
        super().__init__()
        self._paths: dict[str, str] = {}

    def createInstance(self):
        return type(self)()

    def name(self):
        return self.VERB

    def displayName(self):
        return self.TITLE

    def shortHelpString(self):
        return (f"{self.HELP}<p>Runs <code>jangkau {self.VERB}</code> (see <code>jangkau {self.VERB} --help</code> "
                "and docs/qgis.md). Empty optional parameters keep the command's defaults.</p>")

    # ---- parameters shared by several verbs ---------------------------------------------------

    def add_region(self) -> None:
        self.addParameter(QgsProcessingParameterString(
            "REGION", "Region: built-in name (e.g. cilegon, serang)", optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "REGION_FILE", "…or a region .toml file", extension="toml", optional=True))

    def add_level(self, default: str = "kecamatan", levels: tuple[str, ...] = LEVELS) -> None:
        self.addParameter(QgsProcessingParameterEnum(
            "LEVEL", "Zone level", options=list(levels), defaultValue=levels.index(default)))

    def add_crs(self) -> None:
        self.addParameter(QgsProcessingParameterCrs(
            "CRS", "Working (metric) CRS (empty: the region's UTM zone)", optional=True))

    def add_string(self, name: str, description: str, optional: bool = True) -> None:
        self.addParameter(QgsProcessingParameterString(name, description, optional=optional))

    def add_number(self, name: str, description: str, integer: bool = False) -> None:
        kind = QgsProcessingParameterNumber.Integer if integer else QgsProcessingParameterNumber.Double
        self.addParameter(QgsProcessingParameterNumber(name, description, type=kind, optional=True))

    def add_output(self, description: str, kind=QgsProcessing.TypeVectorPolygon) -> None:
        p = QgsProcessingParameterVectorDestination("OUTPUT", description, type=kind)
        p.setSupportsNonFileBasedOutput(False)
        self.addParameter(p)

    def add_facilities(self) -> None:
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "FACILITIES", "Facility point layers", layerType=QgsProcessing.TypeVectorPoint))
        self.add_string("TYPES", "Facility types, comma-separated (empty: every type found)")
        self.add_string("TYPE_COLUMN", "Column holding the facility type (empty: guessed, else the layer name)")

    def add_population_raster(self) -> None:
        self.addParameter(QgsProcessingParameterRasterLayer(
            "POPULATION_RASTER", "Population raster (empty: the region's population table)", optional=True))

    # ---- reading parameters -------------------------------------------------------------------

    def region(self, parameters, context) -> str:
        path = self.parameterAsFile(parameters, "REGION_FILE", context)
        name = self.parameterAsString(parameters, "REGION", context).strip()
        if path:
            return path
        if not name:
            raise QgsProcessingException("give a region: a built-in name (REGION) or a region .toml file (REGION_FILE)")
        return name

    @staticmethod
    def layer_file(layer, context, feedback, tmp: Path) -> str:
        """A file jangkau can read holding ``layer``: its own file when it is a whole single-layer
        file without a filter, else an export to GeoPackage named after the layer (jangkau takes a
        facility or road class from the file name)."""
        if layer is None:
            raise QgsProcessingException("a layer could not be loaded")
        if layer.providerType() == "ogr" and not layer.subsetString():
            parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
            path = parts.get("path", "")
            single = Path(path).suffix.lower() in (".geojson", ".json", ".shp", ".fgb")
            if path and Path(path).is_file() and (single or not (parts.get("layerName") or parts.get("layerId"))):
                return path
        if not isinstance(layer, QgsVectorLayer):
            raise QgsProcessingException(f"layer '{layer.name()}' is not a file jangkau can read")
        safe = re.sub(r"[^\w.-]+", "_", layer.name()) or "layer"
        folder = Path(tempfile.mkdtemp(prefix="layer", dir=tmp))
        out = folder / f"{safe}.gpkg"
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = safe
        err, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
            layer, str(out), context.transformContext(), options)
        if err != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"could not export layer '{layer.name()}': {message}")
        feedback.pushInfo(f"layer '{layer.name()}' exported to {out}")
        return str(out)

    def layers_files(self, parameters, name, context, feedback, tmp: Path) -> list[str]:
        return [self.layer_file(lyr, context, feedback, tmp)
                for lyr in self.parameterAsLayerList(parameters, name, context)]

    def facilities_args(self, parameters, context, feedback, tmp: Path) -> list[str]:
        """``--facilities`` per layer, ``--type`` per listed type, ``--type-column``."""
        argv: list[str] = []
        for f in self.layers_files(parameters, "FACILITIES", context, feedback, tmp):
            argv += ["--facilities", f]
        types = self.parameterAsString(parameters, "TYPES", context)
        for t in [t.strip() for t in types.split(",") if t.strip()]:
            argv += ["--type", t]
        self.opt(argv, "--type-column", parameters, "TYPE_COLUMN", context)
        return argv

    def population_raster_args(self, parameters, context) -> list[str]:
        raster = self.parameterAsRasterLayer(parameters, "POPULATION_RASTER", context)
        return ["--population-raster", raster.source()] if raster is not None else []

    def output_path(self, parameters, context, name: str = "OUTPUT") -> str:
        """The file of an output parameter. Asked once per run: a temporary output gets a new
        file name at each parameterAsOutputLayer call."""
        path = self.file_output(parameters, context, name, layer=True)
        if not path:
            return ""
        if Path(path).suffix.lower().lstrip(".") not in VECTOR_EXTENSIONS:
            raise QgsProcessingException(
                f"{name}: jangkau writes .gpkg or .geojson files, not {path}")
        return path

    def file_output(self, parameters, context, name: str, layer: bool = False) -> str:
        """A file or folder output, decided once per run (see output_path)."""
        if name not in self._paths:
            getter = self.parameterAsOutputLayer if layer else self.parameterAsFileOutput
            self._paths[name] = getter(parameters, name, context) or ""
        return self._paths[name]

    def opt(self, argv: list[str], flag: str, parameters, name: str, context) -> None:
        """Appends ``flag VALUE`` for a non-empty string/number parameter."""
        if parameters.get(name) is None:
            return
        value = self.parameterAsString(parameters, name, context).strip()
        if value:
            argv += [flag, value]

    def enum(self, parameters, name: str, context, options: tuple[str, ...]) -> str:
        """The chosen option; "" for an optional enum left empty."""
        definition = self.parameterDefinition(name)
        optional = definition.flags() & definition.FlagOptional
        if optional and parameters.get(name) is None:
            return ""
        return options[self.parameterAsEnum(parameters, name, context)]

    def crs_args(self, parameters, context) -> list[str]:
        crs = self.parameterAsCrs(parameters, "CRS", context)
        return ["--crs", crs.authid() or crs.toWkt()] if crs.isValid() else []

    # ---- running -------------------------------------------------------------------------------

    def arguments(self, parameters, context, feedback, tmp: Path) -> list[str]:
        """The subcommand's arguments (after ``jangkau VERB``)."""
        raise NotImplementedError

    def outputs(self, parameters, context) -> dict:
        return {"OUTPUT": self.output_path(parameters, context)}

    def processAlgorithm(self, parameters, context, feedback):
        self._paths = {}
        with tempfile.TemporaryDirectory(prefix="jangkau-qgis-") as tmpdir:
            args = self.arguments(parameters, context, feedback, Path(tmpdir))
            try:
                argv = runner.find_cli(settings.cli_setting()) + settings.global_args() + [self.VERB, *args]
            except runner.CliNotFound as exc:
                raise QgsProcessingException(str(exc)) from None
            feedback.pushCommandInfo(shlex.join(argv))
            try:
                runner.run_cli(argv, on_line=feedback.pushConsoleInfo, is_cancelled=feedback.isCanceled)
            except runner.CliFailed as exc:
                raise QgsProcessingException(f"jangkau {self.VERB}: {exc}") from None
            except runner.CliCancelled:
                raise QgsProcessingException(f"jangkau {self.VERB}: cancelled") from None
            except OSError as exc:
                raise QgsProcessingException(f"jangkau {self.VERB} could not start: {exc}") from None
        results = self.outputs(parameters, context)
        self.style_outputs(results, context)
        return results

    def style_outputs(self, results: dict, context: QgsProcessingContext) -> None:
        main = results.get("OUTPUT")
        if main and context.willLoadLayerOnCompletion(main):
            context.layerToLoadOnCompletionDetails(main).setPostProcessor(_Styler.create(STYLES / self.STYLE))


class ZonesAlgorithm(JangkauAlgorithm):
    VERB = "zones"
    TITLE = "Zones (desa, kecamatan, dapil, kabupaten)"
    HELP = ("Writes the zones of one level with code, name, parent codes, dapil, area_km2, population and "
            "density (population_method says how population was obtained).")
    STYLE = "zones.qml"

    def initAlgorithm(self, config=None):
        self.add_region()
        self.add_level()
        self.add_crs()
        self.add_output("Zones")

    def arguments(self, parameters, context, feedback, tmp):
        return [self.region(parameters, context), "--level", self.enum(parameters, "LEVEL", context, LEVELS),
                *self.crs_args(parameters, context), "-o", self.output_path(parameters, context)]


class CoverageAlgorithm(JangkauAlgorithm):
    VERB = "coverage"
    TITLE = "Service coverage"
    HELP = ("Population living within straight-line radii of facilities (or within travel times over roads), "
            "per zone: one row per zone, facility type and radius, with covered, not_covered and share.")
    STYLE = "coverage.qml"

    def initAlgorithm(self, config=None):
        self.add_region()
        self.add_facilities()
        self.add_string("RADIUS", "Radii, e.g. 1km,2km,5km (empty: each type's catalogue threshold)")
        self.add_level()
        self.add_population_raster()
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "ROADS", "Road line layers (travel-time coverage, with MAX_TIME)",
            layerType=QgsProcessing.TypeVectorLine, optional=True))
        self.add_string("MAX_TIME", "Travel-time thresholds over ROADS, e.g. 15min,30min")
        self.add_number("CELL_SIZE", "Demand cell size, m (travel time; empty: 250)")
        self.add_number("MAX_SNAP", "Largest off-road walk, m (travel time; empty: 1000)")
        self.add_crs()
        self.add_output("Coverage")

    def arguments(self, parameters, context, feedback, tmp):
        argv = [self.region(parameters, context), *self.facilities_args(parameters, context, feedback, tmp)]
        self.opt(argv, "--radius", parameters, "RADIUS", context)
        argv += ["--level", self.enum(parameters, "LEVEL", context, LEVELS)]
        argv += self.population_raster_args(parameters, context)
        roads = self.layers_files(parameters, "ROADS", context, feedback, tmp)
        if roads:
            argv += ["--roads", ",".join(roads)]
        self.opt(argv, "--max-time", parameters, "MAX_TIME", context)
        self.opt(argv, "--cell-size", parameters, "CELL_SIZE", context)
        self.opt(argv, "--max-snap", parameters, "MAX_SNAP", context)
        return [*argv, *self.crs_args(parameters, context), "-o", self.output_path(parameters, context)]


class AccessAlgorithm(JangkauAlgorithm):
    VERB = "access"
    TITLE = "Road access (travel time, 2SFCA, E2SFCA)"
    HELP = ("Travel time from every populated cell (or desa point) to facilities over a road network, per zone "
            "(mean/p50/p90 minutes and shares within thresholds, or 2SFCA/E2SFCA/gravity indices); "
            "optionally isochrone bands.")
    STYLE = "access.qml"
    METHODS = ("nearest", "2sfca", "e2sfca", "gaussian", "gravity")
    DEMANDS = ("cells", "centroids")
    ISO_BY = ("type", "facility")

    def initAlgorithm(self, config=None):
        self.add_region()
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "ROADS", "Road line layers (class from ROAD_CLASS_COLUMN or the layer name, e.g. …_JALAN_ARTERI_LN)",
            layerType=QgsProcessing.TypeVectorLine))
        self.add_string("ROAD_CLASS_COLUMN", "Column holding the road class")
        self.addParameter(QgsProcessingParameterFile(
            "SPEED_TABLE", "Road speed table (CSV; empty: built-in)", extension="csv", optional=True))
        self.add_facilities()
        self.add_string("CAPACITY_COLUMN", "Facility column with the supply of 2SFCA/E2SFCA/gravity")
        self.addParameter(QgsProcessingParameterEnum("METHOD", "Measure", options=list(self.METHODS), defaultValue=0))
        self.add_string("MAX_TIME", "Catchment / cutoff, e.g. 30min (empty: 30min)")
        self.add_string("THRESHOLDS", "Minutes of the share-within columns (nearest; empty: 15,30,60)")
        self.add_string("BREAKS", "E2SFCA zone bounds in minutes (empty: 10,20,30)")
        self.add_level()
        self.add_population_raster()
        self.addParameter(QgsProcessingParameterEnum(
            "DEMAND", "Demand points", options=list(self.DEMANDS), defaultValue=0))
        self.add_number("CELL_SIZE", "Cell size of the population surface, m")
        self.add_number("MAX_SNAP", "Largest off-road distance, m (empty: 1000)")
        self.add_number("WALK_SPEED", "Off-road walking speed, km/h (empty: 5)")
        self.add_crs()
        self.add_output("Access")
        iso = QgsProcessingParameterVectorDestination(
            "ISOCHRONES", "Isochrone bands", type=QgsProcessing.TypeVectorPolygon, optional=True,
            createByDefault=False)
        iso.setSupportsNonFileBasedOutput(False)
        self.addParameter(iso)
        self.add_string("BANDS", "Isochrone bands in minutes (empty: 15,30,60)")
        self.addParameter(QgsProcessingParameterEnum(
            "ISOCHRONES_BY", "Isochrones per", options=list(self.ISO_BY), defaultValue=0))

    def arguments(self, parameters, context, feedback, tmp):
        argv = [self.region(parameters, context),
                "--roads", ",".join(self.layers_files(parameters, "ROADS", context, feedback, tmp))]
        self.opt(argv, "--road-class-column", parameters, "ROAD_CLASS_COLUMN", context)
        speed = self.parameterAsFile(parameters, "SPEED_TABLE", context)
        if speed:
            argv += ["--speed-table", speed]
        argv += self.facilities_args(parameters, context, feedback, tmp)
        self.opt(argv, "--capacity-column", parameters, "CAPACITY_COLUMN", context)
        argv += ["--method", self.enum(parameters, "METHOD", context, self.METHODS)]
        self.opt(argv, "--max-time", parameters, "MAX_TIME", context)
        self.opt(argv, "--thresholds", parameters, "THRESHOLDS", context)
        self.opt(argv, "--breaks", parameters, "BREAKS", context)
        argv += ["--level", self.enum(parameters, "LEVEL", context, LEVELS)]
        argv += self.population_raster_args(parameters, context)
        argv += ["--demand", self.enum(parameters, "DEMAND", context, self.DEMANDS)]
        self.opt(argv, "--cell-size", parameters, "CELL_SIZE", context)
        self.opt(argv, "--max-snap", parameters, "MAX_SNAP", context)
        self.opt(argv, "--walk-speed", parameters, "WALK_SPEED", context)
        iso = self.output_path(parameters, context, "ISOCHRONES")
        if iso:
            argv += ["--isochrones", iso, "--isochrones-by", self.enum(parameters, "ISOCHRONES_BY", context, self.ISO_BY)]
            self.opt(argv, "--bands", parameters, "BANDS", context)
        return [*argv, *self.crs_args(parameters, context), "-o", self.output_path(parameters, context)]

    def outputs(self, parameters, context):
        results = super().outputs(parameters, context)
        results["ISOCHRONES"] = self.output_path(parameters, context, "ISOCHRONES") or None
        return results

    def style_outputs(self, results, context):
        super().style_outputs(results, context)
        iso = results.get("ISOCHRONES")
        if iso and context.willLoadLayerOnCompletion(iso):
            context.layerToLoadOnCompletionDetails(iso).setPostProcessor(_Styler.create(STYLES / "isochrones.qml"))


class SitesAlgorithm(JangkauAlgorithm):
    VERB = "sites"
    TITLE = "Service sites (MCLP, LSCP, p-median)"
    HELP = ("Chooses new service points among candidates (a point layer, the desa or kecamatan centres, or a "
            "regular grid) with a location model; the output carries the objective, bound and gap that certify "
            "how far from optimal the answer can be.")
    STYLE = "sites.qml"
    MODELS = ("mclp", "lscp", "p_median")
    SOLVERS = ("auto", "greedy", "milp")
    CANDIDATE_KINDS = ("layer (CANDIDATES)", "desa centres", "kecamatan centres", "grid (GRID_SPACING)")

    def initAlgorithm(self, config=None):
        self.add_region()
        self.addParameter(QgsProcessingParameterEnum(
            "CANDIDATES_FROM", "Candidate sites", options=list(self.CANDIDATE_KINDS), defaultValue=1))
        self.addParameter(QgsProcessingParameterVectorLayer(
            "CANDIDATES", "Candidate point layer", types=[QgsProcessing.TypeVectorPoint], optional=True))
        self.add_string("GRID_SPACING", "Grid spacing, e.g. 1km")
        self.addParameter(QgsProcessingParameterEnum("MODEL", "Location model", options=list(self.MODELS), defaultValue=0))
        self.add_number("P", "Number of new sites (mclp, p_median)", integer=True)
        self.add_number("PER_DAPIL", "At least K sites in every dapil", integer=True)
        self.add_string("RADIUS", "Coverage standard: straight-line distance, e.g. 2km")
        self.add_string("MAX_TIME", "…or travel time over ROADS, e.g. 15min")
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "ROADS", "Road line layers (for MAX_TIME)", layerType=QgsProcessing.TypeVectorLine, optional=True))
        self.add_number("MAX_SNAP", "Largest off-road distance, m (MAX_TIME; empty: 1000)")
        self.addParameter(QgsProcessingParameterVectorLayer(
            "EXISTING", "Existing facilities (they cover already)", types=[QgsProcessing.TypeVectorPoint],
            optional=True))
        self.add_number("FLOOR", "mclp: minimum covered share in every kecamatan (0-1)")
        self.addParameter(QgsProcessingParameterEnum("SOLVER", "Solver", options=list(self.SOLVERS), defaultValue=0))
        self.add_number("TIME_LIMIT", "MILP time limit, s (auto: total budget; empty: 5)")
        self.add_crs()
        self.add_output("Sites", QgsProcessing.TypeVectorPoint)
        self.addParameter(QgsProcessingParameterFileDestination(
            "ZONES_OUT", "Coverage before/after per kecamatan", fileFilter="CSV files (*.csv)", optional=True,
            createByDefault=False))

    def arguments(self, parameters, context, feedback, tmp):
        kind = self.parameterAsEnum(parameters, "CANDIDATES_FROM", context)
        if kind == 0:
            layer = self.parameterAsVectorLayer(parameters, "CANDIDATES", context)
            if layer is None:
                raise QgsProcessingException("CANDIDATES_FROM is 'layer': give a CANDIDATES layer")
            candidates = self.layer_file(layer, context, feedback, tmp)
        elif kind == 3:
            spacing = self.parameterAsString(parameters, "GRID_SPACING", context).strip()
            if not spacing:
                raise QgsProcessingException("CANDIDATES_FROM is 'grid': give GRID_SPACING, e.g. 1km")
            candidates = f"grid:{spacing}"
        else:
            candidates = ["", "desa", "kecamatan"][kind]
        argv = [self.region(parameters, context), "--candidates", candidates,
                "--model", self.enum(parameters, "MODEL", context, self.MODELS)]
        self.opt(argv, "--p", parameters, "P", context)
        self.opt(argv, "--per-dapil", parameters, "PER_DAPIL", context)
        self.opt(argv, "--radius", parameters, "RADIUS", context)
        self.opt(argv, "--max-time", parameters, "MAX_TIME", context)
        roads = self.layers_files(parameters, "ROADS", context, feedback, tmp)
        if roads:
            argv += ["--roads", ",".join(roads)]
        self.opt(argv, "--max-snap", parameters, "MAX_SNAP", context)
        existing = self.parameterAsVectorLayer(parameters, "EXISTING", context)
        if existing is not None:
            argv += ["--existing", self.layer_file(existing, context, feedback, tmp)]
        self.opt(argv, "--floor", parameters, "FLOOR", context)
        argv += ["--solver", self.enum(parameters, "SOLVER", context, self.SOLVERS)]
        self.opt(argv, "--time-limit", parameters, "TIME_LIMIT", context)
        zones_out = self.file_output(parameters, context, "ZONES_OUT")
        if zones_out:
            argv += ["--zones-out", zones_out]
        return [*argv, *self.crs_args(parameters, context), "-o", self.output_path(parameters, context)]

    def outputs(self, parameters, context):
        results = super().outputs(parameters, context)
        results["ZONES_OUT"] = self.file_output(parameters, context, "ZONES_OUT") or None
        return results


class PilotsAlgorithm(JangkauAlgorithm):
    VERB = "pilots"
    TITLE = "Pilot selection"
    HELP = ("Scores kecamatan (or desa) on indicators (need, readiness or a blend), ranks them by weighted sum "
            "or TOPSIS with direct or AHP weights, picks the top k per dapil and tests the choice by Monte Carlo "
            "over the weights (p_selected, stability). Formulas: docs/pilots.md.")
    STYLE = "pilots.qml"
    PILOT_LEVELS = ("kecamatan", "desa")
    MODES = ("need", "readiness", "blend")
    METHODS = ("weighted_sum", "topsis")
    NORMALISATIONS = ("min_max", "z_score", "rank")
    IMPUTATIONS = ("none", "median", "dimension_mean")

    def initAlgorithm(self, config=None):
        self.add_region()
        self.addParameter(QgsProcessingParameterVectorLayer(
            "ZONES", "Zones layer (code, name, population, dapil[, seats]) instead of the region's",
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self.add_level(levels=self.PILOT_LEVELS)
        self.addParameter(QgsProcessingParameterFile(
            "PLAN", "Dapil plan CSV (kecamatan_code, dapil, seats)", extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "INDICATORS", "Indicator tables (CSV joined on 'code', e.g. coverage/access outputs)",
            layerType=QgsProcessing.TypeFile, optional=True))
        self.addParameter(QgsProcessingParameterFile("WEIGHTS", "Weights (TOML or CSV)"))
        self.addParameter(QgsProcessingParameterFile(
            "CATALOGUE", "Extra indicator catalogue (TOML)", extension="toml", optional=True))
        for name, label, options in (("MODE", "Mode", self.MODES), ("METHOD", "Ranking method", self.METHODS),
                                     ("NORMALISATION", "Normalisation", self.NORMALISATIONS),
                                     ("IMPUTATION", "Missing values", self.IMPUTATIONS)):
            self.addParameter(QgsProcessingParameterEnum(name, f"{label} (empty: default)", options=list(options),
                                                         optional=True))
        self.add_number("BLEND_NEED_SHARE", "Need share of the weight in blend mode")
        self.add_number("K", "Pilots per dapil (empty: 1)", integer=True)
        self.add_number("PILOTS_TOTAL", "…or total pilots split over dapil by seats", integer=True)
        self.add_number("DRAWS", "Monte Carlo weight draws (empty: 2000)", integer=True)
        self.add_number("CONCENTRATION", "Dirichlet concentration (empty: 100)")
        self.add_number("SEED", "Seed", integer=True)
        self.addParameter(QgsProcessingParameterBoolean(
            "AHP_OVERRIDE", "Accept an AHP matrix with CR > 0.10", defaultValue=False))
        self.add_output("Pilots")

    def arguments(self, parameters, context, feedback, tmp):
        zones = self.parameterAsVectorLayer(parameters, "ZONES", context)
        if zones is not None:  # the region argument is then ignored by jangkau
            region = self.parameterAsFile(parameters, "REGION_FILE", context) or self.parameterAsString(
                parameters, "REGION", context).strip() or "-"
            argv = [region, "--zones", self.layer_file(zones, context, feedback, tmp)]
        else:
            argv = [self.region(parameters, context)]
        argv += ["--level", self.enum(parameters, "LEVEL", context, self.PILOT_LEVELS)]
        plan = self.parameterAsFile(parameters, "PLAN", context)
        if plan:
            argv += ["--plan", plan]
        for f in filter(None, self.parameterAsFileList(parameters, "INDICATORS", context)):
            argv += ["--indicators", f]
        argv += ["--weights", self.parameterAsFile(parameters, "WEIGHTS", context)]
        catalogue = self.parameterAsFile(parameters, "CATALOGUE", context)
        if catalogue:
            argv += ["--catalogue", catalogue]
        for name, flag, options in (("MODE", "--mode", self.MODES), ("METHOD", "--method", self.METHODS),
                                    ("NORMALISATION", "--normalisation", self.NORMALISATIONS),
                                    ("IMPUTATION", "--imputation", self.IMPUTATIONS)):
            value = self.enum(parameters, name, context, options)
            if value:
                argv += [flag, value]
        for name, flag in (("BLEND_NEED_SHARE", "--blend-need-share"), ("K", "--k"),
                           ("PILOTS_TOTAL", "--pilots-total"), ("DRAWS", "--draws"),
                           ("CONCENTRATION", "--concentration"), ("SEED", "--seed")):
            self.opt(argv, flag, parameters, name, context)
        if self.parameterAsBoolean(parameters, "AHP_OVERRIDE", context):
            argv.append("--ahp-override")
        return [*argv, "-o", self.output_path(parameters, context)]


class RunAlgorithm(JangkauAlgorithm):
    VERB = "run"
    TITLE = "Run the whole pipeline"
    HELP = ("Runs zones → coverage → access → dapil → pilots → sites for one region and writes GeoJSON layers, "
            "CSV tables, report.html and manifest.json into the output folder (replaced as a whole only when the "
            "run succeeds). The map layers are loaded with the plugin's styles.")

    def initAlgorithm(self, config=None):
        self.add_region()
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", "Output folder"))
        self.addParameter(QgsProcessingParameterBoolean("LOAD_LAYERS", "Load the map layers", defaultValue=True))

    def arguments(self, parameters, context, feedback, tmp):
        return [self.region(parameters, context), "-o", self.file_output(parameters, context, "OUTPUT")]

    def outputs(self, parameters, context):
        return {"OUTPUT": self.file_output(parameters, context, "OUTPUT")}

    #: Load order (the last added is drawn on top).
    _load = True
    ORDER = ("zones_kabupaten", "zones_kecamatan", "zones_desa", "isochrones", "gaps", "pilots",
             "facilities", "sites")

    def style_outputs(self, results, context):
        if not self._load or context.project() is None:
            return
        folder = Path(results["OUTPUT"])

        def rank(p: Path) -> tuple[int, str]:
            for i, prefix in enumerate(self.ORDER):
                if p.stem.startswith(prefix):
                    return i, p.stem
            return len(self.ORDER), p.stem

        for path in sorted(folder.glob("*.geojson"), key=rank):
            layer = QgsVectorLayer(str(path), path.stem, "ogr")
            if not layer.isValid() or layer.featureCount() == 0:
                continue  # e.g. a gap layer of a type with no gap
            details = QgsProcessingContext.LayerDetails(path.stem, context.project(), "OUTPUT")
            details.setPostProcessor(_Styler.create(style_for(path)))
            context.addLayerToLoadOnCompletion(str(path), details)

    def processAlgorithm(self, parameters, context, feedback):
        self._load = self.parameterAsBoolean(parameters, "LOAD_LAYERS", context)
        return super().processAlgorithm(parameters, context, feedback)


ALGORITHMS = [ZonesAlgorithm, CoverageAlgorithm, AccessAlgorithm, SitesAlgorithm, PilotsAlgorithm, RunAlgorithm]
