"""Held-out validation of a calibrated model (``fcsim validate``); see
:mod:`fcsim.validate.core`, the distances in :mod:`fcsim.validate.distances` and the page in
:mod:`fcsim.validate.report`."""

from fcsim.validate.core import (
    MIN_DENOMINATOR,
    Validation,
    distances_table,
    on_period,
    slice_log,
    summary,
    validate,
    validation_table,
)

__all__ = [
    "MIN_DENOMINATOR",
    "Validation",
    "distances_table",
    "on_period",
    "slice_log",
    "summary",
    "validate",
    "validation_table",
]
