"""Calibration: estimate a scenario's numbers from an observed event log.

* :mod:`~fcsim.calibrate.arrivals` — hour-of-week arrival rates per category (counts, exposure,
  product-form fit, exact Poisson intervals);
* :mod:`~fcsim.calibrate.durations` — lognormal / gamma / Weibull / exponential fits compared by
  AIC, KS and Anderson–Darling;
* :mod:`~fcsim.calibrate.probabilities` — misroute, rejection, escalation and intake shares with
  Wilson intervals;
* :mod:`~fcsim.calibrate.passes` — the stage-duration samples read from the log;
* :mod:`~fcsim.calibrate.staffing` — staff per role from the log (offered load over a
  utilisation, distinct active resources);
* :mod:`~fcsim.calibrate.scenario` — :func:`calibrate` and the scenario TOML it writes.
"""

from fcsim.calibrate.arrivals import ArrivalFit, CategoryArrivals, arrival_rates
from fcsim.calibrate.durations import FAMILIES, DurationFit, FamilyFit, fit_duration
from fcsim.calibrate.passes import STAGES, cycle_times, stage_samples
from fcsim.calibrate.probabilities import branch_probabilities
from fcsim.calibrate.recovery import recovery
from fcsim.calibrate.scenario import (
    ARRIVALS_ONLY,
    NO_STARTED_AT,
    Calibration,
    calibrate,
    write_scenario,
)

__all__ = [
    "ARRIVALS_ONLY",
    "FAMILIES",
    "NO_STARTED_AT",
    "STAGES",
    "ArrivalFit",
    "Calibration",
    "CategoryArrivals",
    "DurationFit",
    "FamilyFit",
    "arrival_rates",
    "branch_probabilities",
    "calibrate",
    "cycle_times",
    "fit_duration",
    "recovery",
    "stage_samples",
    "write_scenario",
]
