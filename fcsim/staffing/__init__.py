"""Analytic staffing baselines and test oracles.

:mod:`fcsim.staffing.erlang` — Erlang B, C and A (M/M/c+M): delay and abandonment
probabilities, waits, service levels and required agents, stable for hundreds of agents.
:mod:`fcsim.staffing.time_varying` — offered load of a periodic arrival rate, SIPP, lagged
SIPP, square-root / modified-offered-load staffing and the iterative staffing algorithm (ISA).
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
