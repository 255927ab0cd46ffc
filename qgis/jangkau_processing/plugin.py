"""The plugin object QGIS loads: registers the jangkau Processing provider."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import JangkauProvider


class JangkauPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: JangkauProvider | None = None

    def initProcessing(self) -> None:
        """Called by QGIS (and by qgis_process, which has no GUI) to add the provider."""
        if self.provider is None:
            self.provider = JangkauProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
