"""Generate the CLI reference from the real argparse parsers.

Used two ways:

* as an mkdocs hook (``hooks:`` in mkdocs.yml): the marker ``<!-- cli-reference -->`` in
  ``docs/cli.md`` is replaced at build time by the reference of every subcommand, so the
  page can never drift from ``jangkau --help``;
* as a script, to preview the generated Markdown: ``python docs/gen_cli.py``.

The parsers come from :func:`jangkau.cli.build_parser`, so this needs the installed
``jangkau`` package (the compiled engine included).
"""

from __future__ import annotations

import argparse
import functools
import html

MARKER = "<!-- cli-reference -->"
WIDTH = 96  # fixed help width: the generated page must not depend on the terminal


def _fix_width(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=WIDTH, max_help_position=32)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _fix_width(sub)


def _cell(text: str) -> str:
    """Text for a Markdown table cell (pipes escaped, whitespace folded)."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _names(action: argparse.Action) -> str:
    if action.option_strings:
        flags = ", ".join(f"`{s}`" for s in action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or action.dest.upper()
            if isinstance(metavar, tuple):
                metavar = " ".join(metavar)
            flags += f" `{metavar}`"
        return flags
    metavar = action.metavar or action.dest
    return f"`{metavar}`"


def _default(action: argparse.Action) -> str:
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS, False, [], ""):
        return ""
    return f"`{action.default}`"


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    # Expand %(default)s and friends exactly as --help would.
    if "%" in text:
        params = dict(vars(action), prog=parser.prog)
        if params.get("choices") is not None:
            params["choices"] = ", ".join(map(str, params["choices"]))
        try:
            text = text % params
        except (KeyError, TypeError, ValueError):
            pass
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        text += " (one of: " + ", ".join(f"`{c}`" for c in action.choices) + ")"
    if action.required and action.option_strings:
        text += " **Required.**"
    return _cell(text) if "`" not in text else " ".join(text.split()).replace("|", "\\|")


def _section(parser: argparse.ArgumentParser, depth: int, out: list[str]) -> None:
    title = parser.prog
    out.append(f"{'#' * depth} `{title}`\n")
    if parser.description:
        out.append(" ".join(parser.description.split()) + "\n")
    out.append("```text\n" + parser.format_usage().strip() + "\n```\n")
    rows = []
    subparsers = None
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            subparsers = action
            continue
        rows.append((_names(action), _default(action), _help(parser, action)))
    if rows:
        out.append("| argument | default | meaning |\n|---|---|---|")
        out.extend(f"| {n} | {d} | {h} |" for n, d, h in rows)
        out.append("")
    if subparsers is not None:
        helps = {a.dest: a.help or "" for a in subparsers._choices_actions}
        out.append("| subcommand | what it does |\n|---|---|")
        for name in subparsers.choices:
            out.append(f"| `{name}` | {_cell(helps.get(name, ''))} |")
        out.append("")
        for sub in subparsers.choices.values():
            _section(sub, min(depth + 1, 4), out)


def cli_reference() -> str:
    """The Markdown reference of ``jangkau`` and all its subcommands."""
    from jangkau.cli import build_parser

    parser = build_parser()
    _fix_width(parser)
    out: list[str] = []
    _section(parser, 2, out)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- mkdocs hook

def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference())


if __name__ == "__main__":  # pragma: no cover
    print(cli_reference())
