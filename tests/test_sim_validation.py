"""Statistical validation of the simulator against queueing theory and its own configuration.

Every test is seeded; each asserts that the true value lies in a 99.9 % interval (Bonferroni
over the quantities of the test) AND that the interval's half-width is below a stated cap.
The oracles (Erlang C, the conservation law, the configured rates) are written here, from
the formulas, independently of the code under test.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fcsim.eventlog.log import EventLog
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.sim import simulate

ALPHA = 0.001
WARMUP_MIN = 1440.0  # customers arriving in the first simulated day are dropped


def erlang_c(c: int, lam: float, mu: float) -> tuple[float, float]:
    """P(wait) and mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def t_interval(x: np.ndarray, alpha: float) -> tuple[float, float]:
    """Mean and half-width of a two-sided (1 - alpha) t interval."""
    n = len(x)
    half = stats.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean()), float(half)


def _times(ev: pd.DataFrame, activity: str, col: str = "timestamp") -> pd.Series:
    sub = ev[ev["activity"] == activity]
    return sub.drop_duplicates("ticket_id").set_index("ticket_id")[col]


def _min(s: pd.Series) -> pd.Series:
    return s.dt.total_seconds() / 60.0


@pytest.mark.slow
def test_mmc_matches_erlang_c() -> None:
    sc = load_scenario("mmc")
    p_true, w_true = erlang_c(3, 0.24, 0.1)
    reps = 30
    est = []
    for r in range(reps):
        ev = simulate(sc, seed=101, replication=r, days=30).events
        rec = _times(ev, "received")
        start = _times(ev, "recorded", "started_at")
        t = _min(rec - rec.min())
        w = _min(start - rec)[t >= WARMUP_MIN]
        est.append(((w > 1e-9).mean(), w.mean()))
    arr = np.asarray(est)
    p_mean, p_half = t_interval(arr[:, 0], ALPHA / 2)
    w_mean, w_half = t_interval(arr[:, 1], ALPHA / 2)
    assert p_half < 0.03 and w_half < 1.3, (p_half, w_half)
    assert abs(p_mean - p_true) <= p_half, (p_mean, p_true, p_half)
    assert abs(w_mean - w_true) <= w_half, (w_mean, w_true, w_half)


@pytest.mark.slow
def test_mmc_priority_high_class_and_conservation_law() -> None:
    sc = load_scenario("mmc_priority")
    lam1 = lam2 = 0.08
    mu, c = 0.1, 2
    _, w1_true = erlang_c(c, lam1, mu)  # preemption: the high class sees only itself
    _, w_all = erlang_c(c, lam1 + lam2, mu)  # equal exponential service: total is M/M/c
    w2_true = ((lam1 + lam2) * w_all - lam1 * w1_true) / lam2  # conservation law
    reps = 24
    est = []
    for r in range(reps):
        log = simulate(sc, seed=202, replication=r, days=50)
        ev = log.events
        emergency = log.tickets.set_index("ticket_id")["emergency"].astype(bool)
        disp = _times(ev, "dispatched")
        t = _min(disp - disp.min())
        hi = emergency.reindex(disp.index)
        keep = t >= WARMUP_MIN
        w1 = _min(_times(ev, "arrived") - disp)[hi & keep].mean()  # travel is 0
        sojourn2 = _min(_times(ev, "work_completed") - disp)[~hi & keep].mean()
        est.append((w1, sojourn2 - 1 / mu))
    arr = np.asarray(est)
    m1, h1 = t_interval(arr[:, 0], ALPHA / 2)
    m2, h2 = t_interval(arr[:, 1], ALPHA / 2)
    assert h1 < 0.4 and h2 < 3.5, (h1, h2)
    assert abs(m1 - w1_true) <= h1, (m1, w1_true, h1)
    assert abs(m2 - w2_true) <= h2, (m2, w2_true, h2)


def _apartment_expected_per_hour_of_week() -> np.ndarray:
    """Expected arrivals per hour of week (Monday 00:00 local first), from the TOML numbers."""
    text = (resources.files("fcsim.scenarios") / "apartment.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    units, occ = raw["scenario"]["units"], raw["scenario"]["occupancy"]
    total = np.zeros(168)
    for cat in raw["categories"].values():
        prof = raw["profiles"].get(cat.get("profile", "flat"), {})
        hourly = np.asarray(prof.get("hourly", [1.0] * 24), float)
        weekly = np.asarray(prof.get("weekly", [1.0] * 7), float)
        w = np.array([weekly[d] * hourly[h] for d in range(7) for h in range(24)])
        total += cat["rate_per_unit_day"] * units * occ / 24 * w / w.mean()
    return total


@pytest.mark.slow
def test_hourly_arrival_counts_match_configured_rates() -> None:
    sc = apply_overrides(load_scenario("apartment"), ["scenario.holidays=[]"])
    assert sc.scenario.start.weekday() == 0 and sc.scenario.start.hour == 0
    weeks = 10
    log = simulate(sc, seed=303, days=7 * weeks)
    ev = log.events
    rec = _times(ev, "received")
    local = rec.dt.tz_convert("Asia/Shanghai")
    how = local.dt.day_of_week * 24 + local.dt.hour
    observed = np.bincount(how.to_numpy(), minlength=168)
    expected = _apartment_expected_per_hour_of_week() * weeks
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    # independent Poisson counts: chi-square with 168 degrees of freedom
    assert chi2 < stats.chi2.ppf(1 - ALPHA / 2, 168), chi2
    # total count: 99.9 % Poisson interval around the observed total contains the expectation
    n_obs, n_exp = observed.sum(), expected.sum()
    half = stats.norm.ppf(1 - ALPHA / 4) * math.sqrt(n_obs)
    assert half < 0.1 * n_exp
    assert abs(n_obs - n_exp) <= half, (n_obs, n_exp, half)


@pytest.mark.slow
def test_littles_law_on_mmc() -> None:
    # L (time-average number in system, from the log) = lambda (configured) × W (from the log)
    sc = load_scenario("mmc")
    lam = 0.24
    reps, days = 12, 20
    diffs = []
    for r in range(reps):
        ev = simulate(sc, seed=404, replication=r, days=days).events
        rec = _times(ev, "received")
        done = _times(ev, "closed")
        t0 = rec.min() + pd.Timedelta(minutes=WARMUP_MIN)
        t1 = rec.min() + pd.Timedelta(days=days)
        # time in the system, clipped to [t0, t1]: its integral / (t1 - t0) is L
        a = rec.clip(lower=t0, upper=t1)
        b = done.reindex(rec.index).clip(lower=t0, upper=t1)
        area = _min(b - a).sum()
        horizon = (t1 - t0).total_seconds() / 60
        L = area / horizon
        inside = (rec >= t0) & (rec < t1)
        W = _min(done.reindex(rec.index) - rec)[inside].mean()
        diffs.append(L - lam * W)
    m, h = t_interval(np.asarray(diffs), ALPHA)
    w_true = erlang_c(3, 0.24, 0.1)[1] + 10
    assert h < 0.1 * lam * w_true, h  # cap: 10 % of L
    assert abs(m) <= h, (m, h)


def _mean_tech_wait(log: EventLog, department: str) -> float:
    ev = log.events
    tk = log.tickets.set_index("ticket_id")
    mask = (tk["department"] == department) & (tk["mode"] == "immediate") & \
        ~tk["emergency"].astype(bool)
    ids = tk.index[mask]
    e1 = ev[(ev["attempt"] == 1) & ev["ticket_id"].isin(ids)]
    disp = e1[e1["activity"] == "dispatched"].groupby("ticket_id", observed=True)[
        "timestamp"].max()
    signed = e1[e1["activity"] == "signed"].groupby("ticket_id", observed=True)[
        "timestamp"].min()
    return float(_min(signed - disp.reindex(signed.index)).mean())


@pytest.mark.slow
def test_one_more_technician_lowers_the_mean_wait() -> None:
    base = load_scenario("apartment")
    plus = apply_overrides(base, [
        'staff.engineering.shifts=[{start_h=8, end_h=17, count=4}, '
        '{start_h=17, end_h=23, count=1}, {start_h=23, end_h=32, count=1, on_call=true}]'])
    reps = 20
    d = []
    for r in range(reps):  # common random numbers: same seed and replication
        w0 = _mean_tech_wait(simulate(base, seed=505, replication=r, days=28), "engineering")
        w1 = _mean_tech_wait(simulate(plus, seed=505, replication=r, days=28), "engineering")
        d.append(w0 - w1)
    x = np.asarray(d)
    n = len(x)
    half = stats.t.ppf(1 - ALPHA, n - 1) * x.std(ddof=1) / math.sqrt(n)  # one-sided
    assert half < 5.0, half  # cap: 5 minutes
    assert x.mean() - half > 0, (x.mean(), half)


@pytest.mark.slow
def test_satisfaction_falls_as_lateness_grows() -> None:
    from fcsim.kpi import evaluate

    sc = load_scenario("apartment")
    log = simulate(sc, seed=606, days=90)
    cp = evaluate(log, bounds=sc.control_points()).control_points
    late = cp.assign(lateness_s=pd.to_numeric(cp["lateness_s"], errors="coerce").fillna(0.0)) \
        .groupby("ticket_id", observed=True)["lateness_s"].sum()
    tk = log.tickets.set_index("ticket_id")
    sat = tk["satisfied"].dropna().astype(bool)
    late = late.reindex(sat.index).fillna(0.0)
    punctual = sat[late == 0]
    very_late = sat[late > 1800]  # more than 30 minutes outside the bounds in total
    p0, p1 = punctual.mean(), very_late.mean()
    se = math.sqrt(p0 * (1 - p0) / len(punctual) + p1 * (1 - p1) / len(very_late))
    half = stats.norm.ppf(1 - ALPHA) * se  # one-sided
    assert len(very_late) > 100 and half < 0.1, (len(very_late), half)
    assert p0 - p1 - half > 0, (p0, p1, half)
