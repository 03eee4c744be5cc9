"""fcsim: simulate and measure the first-contact responsibility procedure (首接負責制).

A simulated ticket and a real ticket are the same thing: both produce one event log
(:mod:`fcsim.eventlog`) that one set of KPI functions (:mod:`fcsim.kpi`) judges.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
