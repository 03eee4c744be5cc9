"""Outcome models: the indicators a ticket earns from what it lives through.

Each rule reads only the ticket's own experience (``[quality]`` and ``[outcomes]`` of the
scenario hold the parameters; ``docs/scenarios.md`` their sources):

* **Record error** (信息準確率): P = ``record_error_p`` of the category, its odds multiplied by
  ``record_error_odds_per_waiting`` per caller waiting for the desk when the clerk took the
  call (capped at ``waiting_cap``). An error is a wrong location (the technician's trip is
  wasted: ``wrong_location_min`` more travel), a wrong phone (the callback cannot reach the
  customer) or wrong content (the request is misclassified).
* **Misclassification** (信息識別率): P = ``misroute_p``, odds × ``misroute_odds_per_waiting``
  per waiting caller; certain after a content error. The wrong department bounces it.
* **Failed acceptance** (處理合格率): P = ``reject_p`` × ``reject_decay`` ** (k − 1) for pass
  *k*, its odds multiplied by ``reject_odds_per_waiting`` per job waiting in the department when
  the work started (rushed work), ``reject_odds_preempted`` if the work was preempted,
  ``reject_odds_handed_over`` if it was handed over at a shift change,
  ``reject_odds_night_callout`` for an on-call technician called out at night, and
  ``reject_odds_per_late_hour`` per hour of the ticket's lateness so far (up to
  ``late_hours_cap`` hours).
* **Satisfaction** (客戶滿意率), asked at a reached callback: P = ``satisfaction_base`` ×
  exp(−lateness / ``lateness_scale_min``) × ``rework_factor`` ** (passes − 1), the lateness
  being that of the KPI engine's clocks (:meth:`fcsim.sim.ticket.Ticket.lateness_s`). The
  first callback that finds the customer not satisfied opens a second pass with
  ``reopen_dissatisfied_p`` (the seed closes only after a good callback); a later one closes
  the ticket (rework cannot undo lateness).
"""

from __future__ import annotations

import math

from fcsim.scenarios.config import Quality

__all__ = ["reject_p", "satisfaction_p", "with_odds"]


def with_odds(p: float, factor: float) -> float:
    """``p`` with its odds multiplied by ``factor`` (0 and 1 stay as they are)."""
    if p <= 0.0 or p >= 1.0 or factor == 1.0:
        return p
    o = p / (1.0 - p) * factor
    return o / (1.0 + o)


def reject_p(base: float, waiting: int, preempted: bool, handed_over: bool,
             night_callout: bool, late_s: float, q: Quality) -> float:
    """Probability that the customer rejects the work at acceptance (see the module doc):
    ``base`` with its odds multiplied by the ``[quality]`` factors ``q`` of what the work
    lived through."""
    factor = (q.reject_odds_per_waiting ** waiting
              * q.reject_odds_per_late_hour ** min(late_s / 3600.0, q.late_hours_cap))
    if preempted:
        factor *= q.reject_odds_preempted
    if handed_over:
        factor *= q.reject_odds_handed_over
    if night_callout:
        factor *= q.reject_odds_night_callout
    return with_odds(base, factor)


def satisfaction_p(
    lateness_min: float, passes: int, *, base: float, lateness_scale_min: float,
    rework_factor: float,
) -> float:
    """Probability that a reached customer says they are satisfied."""
    if lateness_min < 0 or passes < 1:
        raise ValueError("lateness_min must be >= 0 and passes >= 1")
    return base * math.exp(-lateness_min / lateness_scale_min) * rework_factor ** (passes - 1)
