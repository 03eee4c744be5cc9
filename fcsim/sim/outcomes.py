"""Outcome models: satisfaction, record accuracy and recognition.

* **Satisfaction** (asked at a reached callback): P(satisfied) = ``base`` ×
  exp(−lateness / ``lateness_scale_min``) × ``rework_factor`` ** (passes − 1), where lateness
  is the ticket's total time outside its control-point bounds (minutes) as the simulator saw it.
  It falls with lateness and with rework, and equals ``base`` for a punctual first pass.
* **Record accuracy**: each ticket's record is accurate with probability
  1 − ``record_error_p`` of its category.
* **Recognition**: a ticket is recognised correctly unless its first dispatch was misrouted
  (so ``misrouted`` never appears on a ticket with ``recognised_correctly`` true).
"""

from __future__ import annotations

import math

__all__ = ["satisfaction_p"]


def satisfaction_p(
    lateness_min: float, passes: int, *, base: float, lateness_scale_min: float,
    rework_factor: float,
) -> float:
    """Probability that a reached customer says they are satisfied."""
    if lateness_min < 0 or passes < 1:
        raise ValueError("lateness_min must be >= 0 and passes >= 1")
    return base * math.exp(-lateness_min / lateness_scale_min) * rework_factor ** (passes - 1)
