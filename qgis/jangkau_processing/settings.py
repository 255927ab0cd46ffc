"""The provider's settings (Processing ▸ Options ▸ Providers ▸ jangkau): where the jangkau command
is and which data directory it uses. Empty settings fall back to the JANGKAU_CLI / JANGKAU_DATA
environment variables, then to jangkau's own defaults."""

from __future__ import annotations

from processing.core.ProcessingConfig import ProcessingConfig, Setting

GROUP = "jangkau"
CLI = "JANGKAU_CLI"
DATA = "JANGKAU_DATA"


def register(icon) -> None:
    """Adds the settings to Processing's options (their group shows ``icon``)."""
    ProcessingConfig.settingIcons[GROUP] = icon
    ProcessingConfig.addSetting(Setting(
        GROUP, CLI, "jangkau command (empty: JANGKAU_CLI, else jangkau on PATH or in the checkout's .venv)", "",
        valuetype=Setting.FILE))
    ProcessingConfig.addSetting(Setting(
        GROUP, DATA, "Data directory (empty: JANGKAU_DATA, else jangkau's default)", "",
        valuetype=Setting.FOLDER))
    ProcessingConfig.readSettings()


def unregister() -> None:
    ProcessingConfig.removeSetting(CLI)
    ProcessingConfig.removeSetting(DATA)


def cli_setting() -> str:
    return str(ProcessingConfig.getSetting(CLI) or "")


def global_args() -> list[str]:
    """Arguments before the subcommand: ``--data DIR`` when the setting is given."""
    data = str(ProcessingConfig.getSetting(DATA) or "").strip()
    return ["--data", data] if data else []
