"""Small hand-made data shipped with fcsim.

:func:`example_log` is a morning at a serviced apartment's front desk (times in UTC+08:00),
seven tickets covering every activity of the log:

====  ==========================================================================
E01   engineering repair on time; its work is preempted by the emergency E02; while it
      waits, its owner desk-1 hands it to desk-2 at the 10:00 shift change
E02   emergency (burst pipe): reported in 70 s, technician on site first, signs afterwards;
      a supervisor's sample callback after closing
E03   cleaning relayed by a security guard; acceptance fails; second pass (attempt 2)
E04   appointment kept by the book (called 19 min 40 s ahead, 4 min early); blocked,
      escalated, referred to the manager meeting
E05   complaint misrouted to engineering, found on site, re-dispatched; customer not reached
      at callback (twice)
E06   consultation answered at the desk
E07   still open at the end of the log (dispatched, technician not yet there)
====  ==========================================================================

The shared *real* logs are not shipped: :func:`shared_data_file` finds them through
``$FCSIM_DATA`` (:mod:`fcsim.datasets.shared`).
"""

from __future__ import annotations

from importlib import resources

from fcsim.datasets.shared import (
    DATA_VARIABLE,
    SharedDataMissing,
    shared_data_dir,
    shared_data_file,
)
from fcsim.eventlog import EventLog, read_log

__all__ = ["DATA_VARIABLE", "SharedDataMissing", "example_log", "example_log_path",
           "shared_data_dir", "shared_data_file"]


def example_log_path() -> str:
    """Filesystem path of the example log directory."""
    return str(resources.files("fcsim.datasets") / "data" / "example")


def example_log() -> EventLog:
    """The hand-made example log (see the module docstring for its stories)."""
    return read_log(example_log_path())
