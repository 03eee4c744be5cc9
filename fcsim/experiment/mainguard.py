"""Fail at once, with the fix, when a script starts worker processes without a main guard.

Worker processes started with ``forkserver`` or ``spawn`` import the main script again. A
script that calls :func:`~fcsim.experiment.run_experiment` at its top level, outside
``if __name__ == "__main__":``, would start the experiment again in every worker, which
Python refuses: the pool breaks (``BrokenProcessPool``) with the reason buried in the
workers' output. :func:`check_main_guard` finds that case before any worker starts.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
from pathlib import Path

__all__ = ["MainGuardError", "check_main_guard", "unguarded_main_call"]


class MainGuardError(RuntimeError):
    """A script starts worker processes from code outside ``if __name__ == "__main__":``."""


def _is_main_test(test: ast.expr) -> bool:
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    consts = {n.value for n in ast.walk(test) if isinstance(n, ast.Constant)}
    return "__name__" in names and "__main__" in consts


def unguarded_main_call() -> tuple[str, int] | None:
    """``(script, line)`` when the current call comes from the top level of the ``__main__``
    script outside an ``if __name__ == "__main__":`` block; ``None`` otherwise (under a guard,
    in an interactive session or a notebook, or when the script cannot be read)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None  # python -m package: multiprocessing never runs a __main__.py again
    path = getattr(main, "__file__", None)
    if not path:
        return None
    want = os.path.realpath(path)
    frame = inspect.currentframe()
    line = None
    while frame is not None:
        if (frame.f_code.co_name == "<module>"
                and frame.f_globals.get("__name__") == "__main__"
                and os.path.realpath(frame.f_code.co_filename) == want):
            line = frame.f_lineno
            break
        frame = frame.f_back
    del frame
    if line is None:
        return None
    try:
        tree = ast.parse(Path(want).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and _is_main_test(node.test)
                and node.lineno <= line <= (node.end_lineno or node.lineno)):
            return None
    return want, line


def check_main_guard(what: str = "run_experiment") -> None:
    """Raise :class:`MainGuardError` when :func:`unguarded_main_call` finds the call.

    Raises
    ------
    MainGuardError
        Naming the script and line, and saying what to add.
    """
    found = unguarded_main_call()
    if found is None:
        return
    script, line = found
    raise MainGuardError(
        f"{what} starts worker processes, and each worker imports {script} again; the call "
        f"at line {line} is not under 'if __name__ == \"__main__\":', so every worker would "
        "start the experiment again. Put the script's work under\n\n"
        "    if __name__ == \"__main__\":\n        ...\n\n"
        "(or pass workers=0 to run everything in this process)."
    )
