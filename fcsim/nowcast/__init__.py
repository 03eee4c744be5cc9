"""The live twin: forecast which clocks of the open tickets will breach, by simulating forward
from the desk's current state (a snapshot of the recorder, or of a simulated log cut at an
instant), and the backtest that checks those forecasts on a log.

See :func:`forecast` (and :func:`breach_probabilities`, the board's form), :func:`backtest`,
and ``docs/nowcast.md``.
"""

from fcsim.nowcast.forecast import CLOCK_COLUMNS, Forecast, breach_probabilities, forecast

__all__ = ["CLOCK_COLUMNS", "Forecast", "breach_probabilities", "forecast"]
