"""The requirement for every hour of the week: SIPP by an independent Erlang C, night and on
call included with the call-out rule, ISA's thin night hours handled and reported."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.staffing.requirement import group_requirement, requirements

APARTMENT = load_scenario("apartment")


def _erlang_c_servers(lam_h: float, s_h: float, wait_h: float, sl: float) -> int:
    """Fewest servers with P(W <= wait) >= sl in M/M/c (Erlang C, written out here)."""
    a = lam_h * s_h
    c = max(1, math.floor(a) + 1)
    while True:
        b = 1.0  # Erlang B by its recursion
        for k in range(1, c + 1):
            b = a * b / (k + a * b)
        p_wait = b / (1 - (a / c) * (1 - b))
        if 1 - p_wait * math.exp(-(c - a) * wait_h / s_h) >= sl:
            return c
        c += 1


def test_sipp_is_erlang_c_in_every_hour_night_included() -> None:
    r = group_requirement(APARTMENT, "engineering", method="sipp", service_level=0.95)
    assert r.clock == "on_site" and r.on_call_window == (23, 32)
    # the call-out (20 min lognormal) + travel rarely meets the 10-min emergency bound, so
    # night emergencies stay on-duty work: every hour is staffed for its whole rate
    assert r.on_call_p_in_time is not None and r.on_call_p_in_time < 0.95
    expect = [_erlang_c_servers(lam, r.mean_service_h, r.wait_h, 0.95) if lam > 0 else 0
              for lam in r.rate_per_h]
    assert r.required.tolist() == expect
    night = [d * 24 + h for d in range(7) for h in (0, 1, 2, 3, 4, 23)]
    assert (r.rate_per_h[night] > 0).all() and (r.required[night] >= 1).all()
    on_call = np.zeros(168, dtype=int)
    for d in range(7):
        for h in range(23, 32):
            on_call[(d * 24 + h) % 168] = 1
    assert r.on_call.tolist() == on_call.tolist()


def test_call_out_in_time_leaves_night_emergencies_to_the_on_call_person() -> None:
    s = apply_overrides(APARTMENT, ['staff.engineering.callout_min={dist="fixed",value=0.0}'])
    r = group_requirement(s, "engineering", method="sipp", service_level=0.5)
    assert r.on_call_p_in_time is not None and r.on_call_p_in_time >= 0.5
    assert "left to the on-call person" in r.notes[0]
    duty = np.where(r.on_call > 0, r.rate_per_h - r.emergency_rate_per_h, r.rate_per_h)
    expect = [_erlang_c_servers(lam, r.mean_service_h, r.wait_h, 0.5) if lam > 0 else 0
              for lam in duty]
    assert r.required.tolist() == expect
    assert (r.emergency_rate_per_h > 0).any()


def test_lagged_sipp_equals_sipp_for_a_flat_rate() -> None:
    mmc = apply_overrides(load_scenario("mmc"), ["control_points.record.upper_s=1800"])
    a = group_requirement(mmc, "desk", method="sipp", service_level=0.8)
    b = group_requirement(mmc, "desk", method="lagged_sipp", service_level=0.8)
    assert np.ptp(a.rate_per_h) == pytest.approx(0.0)
    assert a.required.tolist() == b.required.tolist()
    # 14.4 / h, 10 min each (a = 2.4 Erlang): by hand with the formula above
    assert a.required[0] == _erlang_c_servers(14.4, 1 / 6, a.wait_h, 0.8)


def test_isa_thin_hours_keep_lagged_sipp_and_say_so() -> None:
    isa = group_requirement(APARTMENT, "engineering", method="isa", service_level=0.95)
    lag = group_requirement(APARTMENT, "engineering", method="lagged_sipp", service_level=0.95)
    assert any("fewer than 30 simulated arrivals" in n for n in isa.notes)
    assert any(n.startswith("ISA converged") or n.startswith("ISA did not converge")
               for n in isa.notes)
    low = isa.offered_load < 0.25  # night loads around 0.2 Erlang get 1-2 people, never 8
    assert low.any() and isa.required[low].max() <= 2
    assert isa.required[low].tolist() == lag.required[low].tolist()


def test_several_groups_and_bad_input() -> None:
    both = requirements(APARTMENT, ["desk", "engineering"], method="lagged_sipp",
                        service_level=0.9)
    assert both["desk"].clock == "record" and both["engineering"].clock == "on_site"
    assert (both["desk"].required >= 1).all()  # the 24/7 hub
    with pytest.raises(ValueError, match="method must be one of"):
        group_requirement(APARTMENT, "engineering", method="magic")
    with pytest.raises(KeyError, match="no staff group 'plumbing'"):
        group_requirement(APARTMENT, "plumbing")
    with pytest.raises(ValueError, match="answers to no clock"):
        group_requirement(APARTMENT, "managers")
