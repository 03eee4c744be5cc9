"""Analytic staffing baselines and test oracles.

:mod:`fcsim.staffing.erlang` — Erlang B, C and A (M/M/c+M): delay and abandonment
probabilities, waits, service levels and required agents, stable for hundreds of agents.
:mod:`fcsim.staffing.time_varying` — offered load of a periodic arrival rate, SIPP, lagged
SIPP, square-root / modified-offered-load staffing and the iterative staffing algorithm (ISA).

Built on the simulator (import them from their modules; they pull in SimPy and the experiment
runner): :mod:`~fcsim.staffing.isa_sim` (ISA driven by a time-varying queue simulation, SIPP
versus ISA), :mod:`~fcsim.staffing.roster` (shift patterns, costs, the exact sequential roster
search), :mod:`~fcsim.staffing.risk` (the weekly risk view of the "= 100 %" targets),
:mod:`~fcsim.staffing.sensitivity` (tornado tables), :mod:`~fcsim.staffing.scenario_staffing`
and :mod:`~fcsim.staffing.staff_report` (what ``fcsim staff`` prints).
"""

from fcsim.staffing.erlang import (
    ErlangA,
    erlang_a,
    erlang_a_required_agents,
    erlang_a_service_level,
    erlang_a_wait_tail,
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    erlang_c_required_agents,
    erlang_c_service_level,
)
from fcsim.staffing.time_varying import (
    IsaResult,
    OfferedLoad,
    halfin_whitt_beta,
    iterative_staffing,
    lagged_sipp_staffing,
    mol_staffing,
    offered_load,
    sipp_staffing,
    square_root_staffing,
)

__all__ = [
    "ErlangA",
    "IsaResult",
    "OfferedLoad",
    "erlang_a",
    "erlang_a_required_agents",
    "erlang_a_service_level",
    "erlang_a_wait_tail",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait",
    "erlang_c_required_agents",
    "erlang_c_service_level",
    "halfin_whitt_beta",
    "iterative_staffing",
    "lagged_sipp_staffing",
    "mol_staffing",
    "offered_load",
    "sipp_staffing",
    "square_root_staffing",
]
