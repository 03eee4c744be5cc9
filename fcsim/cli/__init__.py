"""The ``fcsim`` command line: the only code in fcsim that prints.

Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking
the parsed ``argparse.Namespace`` and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from fcsim import __version__

__all__ = ["COMMAND_MODULES", "build_parser", "main", "setup_logging"]

#: Subcommand modules, in the order ``fcsim --help`` lists them. A module that is not
#: present (a part not yet built) is left out of the parser.
COMMAND_MODULES: tuple[str, ...] = (
    "run", "kpi", "record", "calibrate", "compare", "validate", "sweep", "staff", "roster",
    "sensitivity", "check", "serve", "users", "nowcast",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``fcsim`` parser; with ``only`` (a command name) just that subcommand's module is
    imported, so that a command starts without loading every other (the KPI engine, scipy …)."""
    parser = argparse.ArgumentParser(
        prog="fcsim",
        description="Simulate and measure the first-contact responsibility procedure (首接負責制).",
    )
    parser.add_argument("--version", action="version", version=f"fcsim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log diagnostics to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        if only is not None and name != only:
            continue
        try:
            module = importlib.import_module(f"fcsim.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fcsim.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


class _Once(logging.Filter):
    """Lets each warning (or error) message through once per command."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.levelno, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


class _Format(logging.Formatter):
    """``warning: message`` (``-v``: ``warning fcsim.module: message``)."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        level = record.levelname.lower()
        where = f" {record.name}" if self.verbose else ""
        return f"{level}{where}: {record.getMessage()}"


def setup_logging(verbose: bool) -> logging.Handler:
    """Diagnostics to stderr, each warning once (Python warnings included); returns the
    handler (replacing the one an earlier call installed)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "fcsim_cli", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.fcsim_cli = True  # type: ignore[attr-defined]
    handler.addFilter(_Once())
    handler.setFormatter(_Format(verbose))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command if command in COMMAND_MODULES else None)
    args = parser.parse_args(words)
    setup_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"fcsim {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
