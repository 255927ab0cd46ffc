"""jangkau Processing provider for QGIS: the jangkau verbs in the Processing Toolbox.

QGIS calls :func:`classFactory` when the plugin is enabled; ``qgis_process`` then calls
``initProcessing`` on the returned object."""


def classFactory(iface):
    from .plugin import JangkauPlugin

    return JangkauPlugin(iface)
