"""The shared real ticket logs: found through ``FCSIM_DATA``, never copied into fcsim.

The real logs the notebooks and tests compare with (``helpdesk_4tu_finale.csv.gz`` …) live
in a directory of their own. :func:`shared_data_file` finds one in ``$FCSIM_DATA``, else in a
default directory, and when it is absent raises :class:`SharedDataMissing`, whose message says
what to set; in Jupyter it is shown as that message alone, without a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_VARIABLE", "SharedDataMissing", "shared_data_dir", "shared_data_file"]

#: The environment variable naming the shared data directory.
DATA_VARIABLE = "FCSIM_DATA"


class SharedDataMissing(FileNotFoundError):
    """A shared data file is absent; the message says what to set."""

    def _render_traceback_(self) -> list[str]:  # IPython / Jupyter: the message, no traceback
        return [f"{type(self).__name__}: {self}"]


def shared_data_dir(default: str | Path | None = None) -> Path:
    """``$FCSIM_DATA`` when set, else ``default`` (else ``../shared/data`` of the current
    directory's parent)."""
    env = os.environ.get(DATA_VARIABLE)
    if env:
        return Path(env).expanduser()
    if default is not None:
        return Path(default)
    return Path.cwd().resolve().parent.parent / "shared" / "data"


def shared_data_file(name: str, *, default: str | Path | None = None) -> Path:
    """The path of the shared data file ``name``.

    Raises
    ------
    SharedDataMissing
        When the file is not there: the message names the file, where it was looked for and
        how to point ``FCSIM_DATA`` at the directory that holds it.
    """
    d = shared_data_dir(default)
    path = d / name
    if path.is_file():
        return path
    source = (f"{DATA_VARIABLE}={os.environ[DATA_VARIABLE]}" if os.environ.get(DATA_VARIABLE)
              else f"the default, since {DATA_VARIABLE} is not set")
    raise SharedDataMissing(
        f"the shared data file {name} is not in {d} ({source}). Set {DATA_VARIABLE} to the "
        f"directory that holds it and start again, e.g.\n"
        f"    {DATA_VARIABLE}=/path/to/shared/data make lab\n"
        f"or, in a shell, 'export {DATA_VARIABLE}=/path/to/shared/data' before 'jupyter lab'. "
        "The real logs are not part of fcsim (see notebooks/README.md)."
    )
