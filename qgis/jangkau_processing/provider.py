"""The ``jangkau`` Processing provider: one toolbox group holding the jangkau verbs."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import settings
from .algorithms import ALGORITHMS, VECTOR_EXTENSIONS


class JangkauProvider(QgsProcessingProvider):
    def id(self):
        return "jangkau"

    def name(self):
        return "jangkau"

    def longName(self):
        return "jangkau: service coverage, road access and pilot selection"

    def icon(self):
        return QIcon(str(Path(__file__).resolve().parent / "icon.svg"))

    def load(self):
        settings.register(self.icon())
        self.refreshAlgorithms()
        return True

    def unload(self):
        settings.unregister()

    def loadAlgorithms(self):
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())

    def supportedOutputVectorLayerExtensions(self):
        return list(VECTOR_EXTENSIONS)

    def defaultVectorFileExtension(self, hasGeometry=True):
        return "gpkg"

    def supportsNonFileBasedOutput(self):
        return False
