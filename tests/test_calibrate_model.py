"""Calibration options of issue 12: holidays, the weekly trend, hour and resource effects on
durations, waiting before ``started_at`` — each on a hand-built log or series with known
answers — and the simulator's duration factors (exact traces, common random numbers)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from fcsim.calibrate import calibrate, stage_samples
from fcsim.calibrate.factors import (
    SHRINK_N,
    HourFit,
    ResourceFit,
    deconvolve,
    hour_factors,
    random_effects,
    resource_sigma,
)
from fcsim.calibrate.holidays import daily_counts, detect_holidays, read_calendar
from fcsim.calibrate.trend import fit_trend
from fcsim.eventlog import EventLog
from fcsim.eventlog.frames import EVENT_COLUMNS, TICKET_COLUMNS
from fcsim.scenarios import load_scenario, scenario_from_dict
from fcsim.sim import simulate
from fcsim.sim.streams import stream_seed

WEEKDAY_MEAN = np.array([60.0, 55.0, 50.0, 52.0, 58.0, 30.0, 25.0])


def _log(ev: pd.DataFrame, tk: pd.DataFrame, manifest: dict[str, object] | None = None
         ) -> EventLog:
    """A log from the columns given; the contract's other columns empty."""
    tk = tk.assign(mode="immediate", **{c: None for c in TICKET_COLUMNS
                                        if c not in tk and c not in ("mode", "schema_version")})
    ev = ev.assign(**{c: None for c in EVENT_COLUMNS if c not in ev and c != "schema_version"})
    return EventLog.from_frames(ev, tk, manifest)


def _days(n: int, start: str = "2025-01-06") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D", tz="UTC")


# --- holidays -------------------------------------------------------------------------------

def test_planted_holiday_is_detected_and_a_normal_day_is_not() -> None:
    """Poisson days around weekday means; day 40 (a Wednesday, mean 50) planted at 3 and day
    61 at 30 (a weak dip, p ≈ 2e-3: not below 0.01 / 84 after Bonferroni). Only day 40."""
    rng = np.random.default_rng(12)
    idx = _days(84)
    mean = WEEKDAY_MEAN[idx.day_of_week]
    v = rng.poisson(mean).astype(float)
    v[40], v[61] = 3, 30
    fit = detect_holidays(pd.Series(v, index=idx), level=0.01)
    assert fit.holidays == (idx[40].date(),)
    # factor = observed / expected on the holiday, expected = its weekday mean without it
    wd = idx.day_of_week
    ordinary = np.ones(84, bool)
    ordinary[40] = False
    m40 = v[ordinary & (wd == wd[40])].mean()
    assert fit.factor == pytest.approx(3 / m40)
    row = fit.days[0]
    assert row["count"] == 3 and row["p_lower"] < 0.01 / 84
    # the weak dip's p is Poisson's lower tail at its weekday mean: above the threshold
    assert stats.poisson.cdf(30, v[ordinary & (wd == wd[61])].mean()) > 0.01 / 84


def test_given_calendar_replaces_detection(tmp_path: Path) -> None:
    f = tmp_path / "cal.txt"
    f.write_text("# holidays\n2025-01-08\n\n2025-03-01  # outside\n", encoding="utf-8")
    cal = read_calendar(f)
    assert cal == (date(2025, 1, 8), date(2025, 3, 1))
    idx = _days(28)
    v = pd.Series(WEEKDAY_MEAN[idx.day_of_week], index=idx)
    fit = detect_holidays(v, given=cal)
    assert fit.given and fit.holidays == (date(2025, 1, 8),)
    assert fit.factor == pytest.approx(1.0)
    f.write_text("2025-01-08\n2025-13-01\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cal.txt: line 2: '2025-13-01'"):
        read_calendar(f)


def _arrivals_log(days: int, seed: int, drop: date | None) -> EventLog:
    """An arrivals-only log: Poisson arrivals of one category (weekday means over 24 h)."""
    rng = np.random.default_rng(seed)
    idx = _days(days)
    times = []
    for d in idx:
        n = rng.poisson(WEEKDAY_MEAN[d.day_of_week])
        if drop is not None and d.date() == drop:
            n = 0
        times.extend(d + pd.to_timedelta(np.sort(rng.uniform(0, 86400, n)), unit="s"))
    ts = pd.Series(pd.DatetimeIndex(times)).dt.floor("ms")
    ids = [f"t{i:05d}" for i in range(len(ts))]
    ev = pd.DataFrame({"ticket_id": ids, "seq": 0, "activity": "received", "started_at": None,
                       "timestamp": ts, "resource": None, "role": "desk", "attempt": 1})
    tk = pd.DataFrame({"ticket_id": ids, "category": "engineering", "emergency": False})
    man = {"window": [idx[0].isoformat(), (idx[-1] + pd.Timedelta(days=1)).isoformat()]}
    return _log(ev, tk, man)


def test_calibration_writes_the_detected_holiday_and_leaves_its_day_out() -> None:
    hol = date(2025, 2, 12)
    log = _arrivals_log(56, 5, hol)
    base = load_scenario("apartment")
    cal = calibrate(log, base, tz=UTC)
    meta = cal.scenario.scenario
    assert set(meta.holidays) == {hol, date(2026, 2, 12)}  # and the same date a year later
    assert meta.holiday_factor == 0.0
    assert cal.evidence["holidays"]["holidays"] == ["2025-02-12"]
    # the holiday's 24 hours are out of the exposure: 55 ordinary days
    assert cal.arrivals.table["exposure_h"].sum() == pytest.approx(55 * 24)
    assert "detected" in cal.toml and "2025-02-12 (0 vs" in cal.toml
    none = calibrate(log, base, tz=UTC, holidays="none")
    assert none.scenario.scenario.holidays == ()
    assert none.arrivals.table["exposure_h"].sum() == pytest.approx(56 * 24)


# --- trend ----------------------------------------------------------------------------------

def test_planted_trend_is_recovered_and_extrapolated_by_its_formula() -> None:
    """40 weeks of Poisson days with rate × exp(b t), b = 0.02 a week: the slope's 99.9 %
    interval (t on W − 2 df, the quasi-Poisson standard error) holds b, half-width < 0.01."""
    b = 0.02
    idx = _days(280)
    t_weeks = (np.arange(280) + 0.5) / 7.0
    mean = WEEKDAY_MEAN[idx.day_of_week] * np.exp(b * t_weeks)
    v = pd.Series(np.random.default_rng(3).poisson(mean).astype(float), index=idx)
    ordinary = np.ones(280, bool)
    exp_ = WEEKDAY_MEAN[idx.day_of_week]
    fit = fit_trend(v, exp_, ordinary, level=0.01)
    assert fit.weeks == 40 and fit.significant
    se = (fit.ci[1] - fit.ci[0]) / 2 / stats.t.ppf(0.975, 38)
    half = stats.t.ppf(1 - 0.001 / 2, 38) * se
    assert abs(fit.slope - b) < half and half < 0.01
    # the multiplier is the fitted rate's mean over the window over the training mean:
    # computed here by numerical integration of the fitted weekly rates
    start, end = idx[0] + pd.Timedelta(weeks=44), idx[0] + pd.Timedelta(weeks=48)
    grid = np.linspace(44, 48, 40001)
    weekly_e = exp_.reshape(40, 7).sum(axis=1)
    wk = np.arange(40) + 0.5
    train_mean = np.sum(weekly_e * np.exp(fit.slope * wk)) / weekly_e.sum()
    want = np.trapezoid(np.exp(fit.slope * grid), grid) / 4 / train_mean
    assert fit.multiplier(start, end) == pytest.approx(want, rel=1e-6)
    # no trend: not significant, multiplier 1
    flat = pd.Series(np.random.default_rng(4).poisson(exp_).astype(float), index=idx)
    nul = fit_trend(flat, exp_, ordinary, level=0.01)
    assert not nul.significant and nul.multiplier(start, end) == 1.0
    assert fit_trend(flat.iloc[:49], exp_[:49], ordinary[:49]).weeks == 7  # too short
    assert math.isnan(fit_trend(flat.iloc[:49], exp_[:49], ordinary[:49]).slope)


def test_daily_counts_are_whole_local_days() -> None:
    s, e = pd.Timestamp("2025-01-01 05:00", tz="UTC"), pd.Timestamp("2025-01-04 00:00", tz="UTC")
    t = pd.Series(pd.to_datetime(["2025-01-01 06:00", "2025-01-02 01:00", "2025-01-03 23:59"],
                                 utc=True))
    c = daily_counts(t, s, e, UTC)
    assert list(c.index.date) == [date(2025, 1, 2), date(2025, 1, 3)]
    assert list(c) == [1.0, 1.0]


# --- hour and resource effects --------------------------------------------------------------

def _mixture_median(mus: np.ndarray, sigma: float) -> float:
    def cdf(x: float) -> float:
        return float(np.mean(stats.norm.cdf((math.log(x) - mus) / sigma)))
    return float(optimize.brentq(lambda x: cdf(x) - 0.5, 1e-6, 1e6))


def test_planted_hour_factors_are_recovered() -> None:
    """400 lognormal values (σ 0.5) in every hour; hours 8–11 twice as long. Each hour's
    factor, from its definition (median ratio, shrinkage n/(n+30), mean 1 over the sample),
    lies in its Bonferroni 99.9 % interval (24 hours); the half-width is below 0.2."""
    rng = np.random.default_rng(21)
    n_h, sigma = 400, 0.5
    true = np.where((np.arange(24) >= 8) & (np.arange(24) <= 11), 2.0, 1.0)
    hours = np.repeat(np.arange(24), n_h)
    mus = np.log(10.0 * true[hours])
    x = np.exp(mus + sigma * rng.standard_normal(len(hours)))
    start = pd.Timestamp("2025-01-06", tz="UTC").value // 1_000_000 + hours * 3_600_000
    s = pd.DataFrame({"stage": "record", "activity": "recorded", "value_min": x,
                      "start_ms": start.astype(float), "resource": None, "role": "desk"})
    (fit,) = hour_factors(s, UTC)
    ratio = 10.0 * true / _mixture_median(np.log(10.0 * true), sigma)
    want = 1 + n_h / (n_h + SHRINK_N) * (ratio - 1)
    want = want / want.mean()
    se = 1.2533 * sigma / math.sqrt(n_h) * math.sqrt(1 + 1 / 24)  # hour and overall medians
    half = stats.norm.ppf(1 - 0.001 / 48) * se * 1.05
    assert np.all(np.abs(np.log(fit.factors) - np.log(want)) < half), fit.factors
    assert half < 0.2
    assert fit.helps and fit.p_value < 1e-10 and fit.df == 23
    # without an hour effect AIC does not prefer hour means
    y = np.exp(np.log(10.0) + sigma * rng.standard_normal(len(hours)))
    (nul,) = hour_factors(s.assign(value_min=y), UTC)
    assert not nul.helps


def test_planted_resource_sigma_is_recovered() -> None:
    """40 resources, 30 values each, log-speed σ_b = 0.4 and within σ 0.6, over two stages
    with different means: the 99.9 % F interval holds 0.4, half-width < 0.25."""
    rng = np.random.default_rng(8)
    k, m, sb, sw = 40, 30, 0.4, 0.6
    eff = sb * rng.standard_normal(k)
    res = np.repeat(np.arange(k), m)
    stage = np.tile(np.array(["record", "classify"]), k * m // 2)
    base = np.where(stage == "record", math.log(5.0), math.log(1.0))
    y = base + eff[res] + sw * rng.standard_normal(k * m)
    s = pd.DataFrame({"stage": stage, "activity": np.where(stage == "record", "recorded",
                                                           "classified"),
                      "value_min": np.exp(y), "start_ms": 0.0,
                      "resource": [f"desk-{r}" for r in res], "role": "desk"})
    (fit,) = resource_sigma(s)
    assert fit.resources == k and fit.n == k * m
    centred = y - pd.Series(y).groupby(stage).transform("mean").to_numpy()
    est, (lo, hi), w, p, _ = random_effects(centred, res, conf=0.999)
    assert est == pytest.approx(fit.sigma)
    assert lo <= sb <= hi and (hi - lo) / 2 < 0.25
    assert abs(w - sw) < 0.05 and p < 1e-6
    assert fit.share == pytest.approx(fit.sigma**2 / (fit.sigma**2 + fit.sigma_within**2))


def _fit(role: str, sigma: float, within: float) -> ResourceFit:
    return ResourceFit(role=role, n=0, resources=0, sigma=sigma, sigma_ci=(0.0, 0.0),
                       sigma_within=within, share=0.0, p_value=0.0)


def test_deconvolve_divides_out_the_blup_and_the_hour_and_keeps_the_mean() -> None:
    """A hand-built sample: resources A and B (5 values each) and C (2, too few for an effect
    of its own), one non-work row and one zero. Each work value is divided by its hour's factor
    and by exp(n σ_b² / (n σ_b² + σ_w²) · ȳ) of its resource (ȳ its mean log-duration centred
    by the stage's mean over the role), then the sample is scaled back to its sum."""
    a = [1.0, 2.0, 2.0, 4.0, 1.0]
    b = [8.0, 4.0, 8.0, 16.0, 8.0]
    c = [3.0, 5.0]
    values = a + b + c + [7.0, 0.0]
    n_work = len(a) + len(b) + len(c)
    hours = [9] * 3 + [10] * (n_work - 3) + [10, 10]
    start = pd.Timestamp("2025-01-06", tz="UTC").value // 1_000_000 + np.array(hours) * 3_600_000
    s = pd.DataFrame({
        "field": "work_min", "category": "repair", "stage": "work",
        "activity": ["work_done"] * n_work + ["accepted", "work_done"],
        "value_min": values, "start_ms": start.astype(float),
        "resource": ["A"] * 5 + ["B"] * 5 + ["C"] * 2 + [None, "A"], "role": "technician"})
    hour = np.ones(24)
    hour[9] = 2.0
    fits = [HourFit(activity="work_done", n=0, factors=tuple(hour), n_by_hour=(0,) * 24,
                    lr=1.0, df=1, p_value=0.0, delta_aic=1.0)]
    out = deconvolve(s, UTC, fits, [_fit("technician", 1.0, 0.5)])

    logs = np.log(np.array(a + b + c))
    centred = logs - logs.mean()
    blup = {}
    for name, sl in (("A", slice(0, 5)), ("B", slice(5, 10))):
        lam = 5 * 1.0 / (5 * 1.0 + 0.25)
        blup[name] = lam * centred[sl].mean()
    div = np.array([blup["A"]] * 5 + [blup["B"]] * 5 + [0.0, 0.0])
    adjusted = np.array(a + b + c) / np.exp(div) / hour[hours[:n_work]]
    adjusted *= sum(a + b + c) / adjusted.sum()
    np.testing.assert_allclose(out["value_min"].to_numpy()[:n_work], adjusted, rtol=1e-12)
    assert out["value_min"].iloc[-2:].tolist() == [7.0, 0.0]  # not work: unchanged
    assert out["value_min"].iloc[:n_work].sum() == pytest.approx(sum(a + b + c), rel=1e-12)
    # an hour fit that does not help, and no resource fit: nothing to divide
    unused = [HourFit(**{**fits[0].__dict__, "delta_aic": -1.0})]
    assert deconvolve(s, UTC, unused, []) is s


def test_deconvolution_removes_the_planted_resource_spread() -> None:
    """40 resources × 50 values, σ_b 0.5 between and σ_w 0.3 within, two stages: after
    dividing out the fitted effects the pooled within-stage variance of the log-durations
    estimates σ_w²(1 − λ(2 − λ)/m) + (1 − λ)²σ_b² (λ = mσ_b²/(mσ_b² + σ_w²)), not
    σ_b² + σ_w²: the true value lies in its 99.9 % χ² interval, half-width < 0.012."""
    rng = np.random.default_rng(31)
    k, m, sb, sw = 40, 50, 0.5, 0.3
    res = np.repeat(np.arange(k), m)
    stage = np.tile(np.array(["diagnose", "work"]), k * m // 2)
    base = np.where(stage == "work", math.log(20.0), math.log(3.0))
    y = base + sb * rng.standard_normal(k)[res] + sw * rng.standard_normal(k * m)
    s = pd.DataFrame({"field": np.where(stage == "work", "work_min", "diagnose_min"),
                      "category": "repair", "stage": stage, "activity": "work_done",
                      "value_min": np.exp(y), "start_ms": 0.0,
                      "resource": [f"eng-{r}" for r in res], "role": "technician"})
    (fit,) = resource_sigma(s)
    out = np.log(deconvolve(s, UTC, [], [fit])["value_min"].to_numpy())
    resid = out - pd.Series(out).groupby(stage).transform("mean").to_numpy()
    dof = len(out) - 2
    var = float(np.sum(resid ** 2)) / dof
    lo, hi = dof * var / stats.chi2.ppf(0.9995, dof), dof * var / stats.chi2.ppf(0.0005, dof)
    lam = m * sb**2 / (m * sb**2 + sw**2)
    true = sw**2 * (1 - lam * (2 - lam) / m) + (1 - lam) ** 2 * sb**2
    assert lo <= true <= hi, (lo, true, hi)
    assert (hi - lo) / 2 < 0.012
    assert not lo <= sb**2 + sw**2 <= hi


def test_calibrated_distributions_leave_the_member_spread_to_the_factors() -> None:
    """Fixed stage durations and planted member factors on the technicians: calibrated with
    ``hour+resource``, the technician stages come out (nearly) fixed at their mean — the
    members' spread is the factors' — while ``plain`` keeps the spread in the distribution."""
    sc = scenario_from_dict({**_quiet(), "scenario": {**_quiet()["scenario"], "days": 20.0},
                             "duration_factors": {"resource_sigma": {"eng": 0.5}}})
    log = simulate(sc, seed=9, days=20)
    apt = load_scenario("apartment")
    plain = calibrate(log, apt)
    split = calibrate(log, apt, durations="hour+resource")
    d = plain.durations.set_index("field")
    for field in ("work_min", "diagnose_min"):
        kept = np.array(getattr(split.scenario.categories["repair"], field).values)
        raw = np.array(getattr(plain.scenario.categories["repair"], field).values)
        assert kept.max() / kept.min() - 1 < 1e-3
        assert raw.max() / raw.min() > 2
        assert kept.mean() == pytest.approx(d.loc[field, "mean_min"], rel=1e-3)


# --- waiting before started_at --------------------------------------------------------------

def test_started_at_separates_waiting_from_work() -> None:
    """Hand-built passes: received at 0; recorded started at 10 (a 10-minute wait), done at
    15; classified started at 15, done at 18; a second ticket without started_at on recorded
    (its record stage is then measured from receipt and includes waiting)."""
    t0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")

    def m(x: float) -> pd.Timestamp:
        return t0 + pd.Timedelta(minutes=x)

    rows = [("a", 0, "received", None, 0, None), ("a", 1, "recorded", 10, 15, "desk-1"),
            ("a", 2, "classified", 15, 18, "desk-1"), ("a", 3, "closed", None, 20, "desk-1"),
            ("b", 0, "received", None, 0, None), ("b", 1, "recorded", None, 7, "desk-2"),
            ("b", 2, "classified", 9, 12, "desk-2"), ("b", 3, "closed", None, 13, "desk-2")]
    ev = pd.DataFrame({"ticket_id": [r[0] for r in rows], "seq": [r[1] for r in rows],
                       "activity": [r[2] for r in rows],
                       "started_at": [m(r[3]) if r[3] is not None else pd.NaT for r in rows],
                       "timestamp": [m(r[4]) for r in rows],
                       "resource": [r[5] for r in rows], "role": "desk", "attempt": 1})
    tk = pd.DataFrame({"ticket_id": ["a", "b"], "category": "help", "emergency": False,
                       "route_dispatch": False, "route_site_visit": False,
                       "route_callback": False})
    s = stage_samples(_log(ev, tk)).set_index(["ticket_id", "stage"])
    a_rec, b_rec = s.loc[("a", "record")], s.loc[("b", "record")]
    assert a_rec["value_min"] == pytest.approx(5.0) and a_rec["wait_min"] == pytest.approx(10.0)
    assert not a_rec["includes_waiting"] and a_rec["resource"] == "desk-1"
    assert b_rec["value_min"] == pytest.approx(7.0) and b_rec["includes_waiting"]
    assert math.isnan(b_rec["wait_min"])
    b_cls = s.loc[("b", "classify")]
    assert b_cls["value_min"] == pytest.approx(3.0) and b_cls["wait_min"] == pytest.approx(2.0)


# --- the simulator's duration factors -------------------------------------------------------

def _quiet() -> dict[str, object]:
    """Fixed durations and a light load (no queueing): every step's duration is its own."""
    return {
        "scenario": {"name": "quiet", "start": datetime(2026, 3, 2, tzinfo=UTC),
                     "days": 4.0, "units": 10, "occupancy": 1.0},
        "categories": {"repair": {
            "department": "engineering", "rate_per_unit_day": 2.0, "block_p": 0.0,
            "misroute_p": 0.0, "reject_p": 0.0, "record_error_p": 0.0,
            "diagnose_min": 2.0, "work_min": 20.0}},
        "staff": {
            "desk": {"role": "desk", "prefix": "desk",
                     "shifts": [{"start_h": 0, "end_h": 24, "count": 3}]},
            "eng": {"role": "technician", "department": "engineering", "prefix": "eng",
                    "around_the_clock": True,
                    "shifts": [{"start_h": 0, "end_h": 24, "count": 3}]}},
        "stages": {"record_min": 0.5, "classify_min": 0.75, "travel_min": 4.0,
                   "plan_min": 1.5, "communicate_min": 3.0, "dispatch_min": 1.0},
        # always satisfied: no second pass that a longer cycle time would cause
        "outcomes": {"unreachable_p": 0.0, "lateness_scale_min": 1e12},
    }


def _durative(log: EventLog) -> pd.DataFrame:
    ev = log.events
    d = ev[ev["started_at"].notna()].copy()
    d["dur"] = (d["timestamp"] - d["started_at"]).dt.total_seconds() / 60.0
    return d


def test_member_and_hour_factors_scale_steps_and_keep_the_tickets_draws() -> None:
    plain = scenario_from_dict(_quiet())
    sigma = 0.5
    hour = [float(h + 1) for h in range(24)]
    fac = scenario_from_dict({**_quiet(), "duration_factors": {
        "hour": {"recorded": hour}, "resource_sigma": {"eng": sigma}}})
    a, b = simulate(plain, seed=5, days=4), simulate(fac, seed=5, days=4)
    # common random numbers: the same tickets, facts and control flow
    pd.testing.assert_frame_equal(a.tickets.drop(columns=["scenario"]),
                                  b.tickets.drop(columns=["scenario"]))
    seq = [log.events.groupby("ticket_id", observed=True)["activity"].apply(
        lambda s: tuple(s.astype(str))) for log in (a, b)]
    assert seq[0].equals(seq[1]) and len(seq[0]) > 50
    # each member's factor: exp(σ Z − σ²/2), Z row i of the stream duration_factor.eng
    rng = np.random.Generator(np.random.PCG64(stream_seed(5, 0, "duration_factor.eng")))
    z = rng.standard_normal(3)
    member = {f"eng-{i + 1}": math.exp(sigma * z[i] - sigma**2 / 2) for i in range(3)}
    d = _durative(b)
    tech = d[d["role"].astype(str) == "technician"]
    fixed = {"arrived": 4.0, "diagnosed": 2.0, "planned": 1.5, "communicated": 3.0,
             "work_completed": 20.0}
    want = [fixed[str(r.activity)] * member[str(r.resource)] for r in tech.itertuples()]
    np.testing.assert_allclose(tech["dur"], want, atol=2.1 / 60_000)
    assert tech["resource"].astype(str).nunique() == 3
    # recorded: 0.5 × (local hour of the job's start + 1) (UTC scenario); classified as drawn
    rec = d[d["activity"].astype(str) == "recorded"]
    np.testing.assert_allclose(rec["dur"], 0.5 * (rec["started_at"].dt.hour + 1),
                               atol=2.1 / 60_000)
    cls = d[d["activity"].astype(str) == "classified"]
    np.testing.assert_allclose(cls["dur"], 0.75, atol=2.1 / 60_000)


def test_neutral_factors_give_the_same_log_and_absent_ones_the_same_dump() -> None:
    base = load_scenario("apartment")
    data = base.to_data()
    assert "duration_factors" not in data and "duration_factors" not in base.model_dump()
    data["duration_factors"] = {"hour": {}, "resource_sigma": {"desk": 0.0}}
    neutral = scenario_from_dict(data)
    a, b = simulate(base, seed=2, days=3), simulate(neutral, seed=2, days=3)
    assert a.events.equals(b.events) and a.tickets.equals(b.tickets)


def test_duration_factors_are_validated() -> None:
    bad = [({"hour": {"recorded": [1.0] * 23}}, "need 24 factors"),
           ({"hour": {"accepted": [1.0] * 24}}, "unknown activity 'accepted'"),
           ({"hour": {"recorded": [0.0] * 24}}, r"factors must be in \(0, 100\]"),
           ({"resource_sigma": {"eng": -1.0}}, r"σ must be in \[0, 3\]"),
           ({"resource_sigma": {"nobody": 0.2}}, "unknown staff group")]
    for table, msg in bad:
        with pytest.raises(ValueError, match=msg):
            scenario_from_dict({**_quiet(), "duration_factors": table})


def test_calibrate_hour_resource_writes_loadable_factors() -> None:
    """A simulated log with planted member factors (σ 0.5 on the technicians): the calibrated
    scenario carries [duration_factors] with a technician σ and reloads."""
    sc = scenario_from_dict({**_quiet(), "scenario": {**_quiet()["scenario"], "days": 20.0},
                             "duration_factors": {"resource_sigma": {"eng": 0.5}}})
    log = simulate(sc, seed=9, days=20)
    cal = calibrate(log, load_scenario("apartment"), durations="hour+resource")
    f = cal.scenario.duration_factors
    assert f is not None
    assert "technician" in cal.evidence["resource"]
    assert set(f.resource_sigma) >= {g for g, s in cal.scenario.staff.items()
                                     if str(s.role) == "technician"}
    plain = calibrate(log, load_scenario("apartment"))
    assert plain.scenario.duration_factors is None and "hour_factors" not in plain.evidence


def test_cli_takes_a_holiday_calendar_and_writes_the_evidence(tmp_path: Path) -> None:
    """``--holidays FILE``: its dates are the calendar (the factor from the one inside the
    window: that day's 0 arrivals); ``--tables`` writes evidence.json; a bad line is named."""
    import json

    from fcsim.cli import main
    from fcsim.eventlog import write_log

    write_log(_arrivals_log(28, 6, date(2025, 1, 15)), tmp_path / "log")
    cal = tmp_path / "cal.txt"
    cal.write_text("2025-01-15\n2025-12-25\n", encoding="utf-8")
    out = tmp_path / "s.toml"
    assert main(["calibrate", str(tmp_path / "log"), "--out", str(out), "--tz", "UTC",
                 "--holidays", str(cal), "--tables", str(tmp_path / "t")]) == 0
    sc = load_scenario(out)
    assert sc.scenario.holidays == (date(2025, 1, 15), date(2025, 12, 25))
    assert sc.scenario.holiday_factor == 0.0
    ev = json.loads((tmp_path / "t" / "evidence.json").read_text(encoding="utf-8"))
    assert ev["holidays"]["method"] == "given calendar"
    assert ev["holidays"]["holidays"] == ["2025-01-15"]
    assert ev["trend"]["weeks"] == 4 and ev["trend"]["applied"] is False
    cal.write_text("15/01/2025\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"cal.txt: line 1: '15/01/2025' is not an ISO date"):
        main(["calibrate", str(tmp_path / "log"), "--out", str(out), "--holidays", str(cal)])


# --- remote work that the customer accepts or rejects -----------------------------------------

def test_remote_acceptance_and_its_rejections_are_calibrated_and_reproduced() -> None:
    """A department working without a visit whose customers reject 20 % of the first passes
    (neutral quality odds, so the rate is exactly reject_p): calibrated, the category gets
    remote_acceptance and a reject_p whose 99.9 % Wilson interval holds 0.2 (half-width
    < 0.05); the calibrated model, run, produces second passes again (its pass rate is one
    the validation can judge)."""
    data = _quiet()
    data["scenario"] = {**data["scenario"], "days": 60.0}  # type: ignore[dict-item]
    data["categories"] = {"it": {
        "department": "it", "rate_per_unit_day": 2.0, "route_site_visit": False,
        "route_callback": False, "remote_acceptance": True, "reject_p": 0.2,
        "misroute_p": 0.0, "record_error_p": 0.0, "block_p": 0.0,
        "work_min": {"dist": "lognormal", "mean": 30.0, "cv": 0.5}}}
    data["quality"] = {"reject_odds_per_waiting": 1.0, "reject_odds_per_late_hour": 1.0}
    log = simulate(scenario_from_dict(data), seed=4, days=60)
    ev = log.events
    first = ev[(ev["attempt"] == 1) & ev["activity"].isin(["accepted", "rejected"])]
    n, k = len(first), int((first["activity"] == "rejected").sum())
    assert n > 1000
    cal = calibrate(log, load_scenario("apartment"))
    it = cal.scenario.categories["it"]
    assert it.remote_acceptance and not it.route_site_visit
    assert it.reject_p == pytest.approx(k / n, rel=1e-5)
    z = stats.norm.ppf(0.9995)
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    assert centre - half <= 0.2 <= centre + half and half < 0.05
    again = simulate(cal.scenario, seed=1, days=20)
    assert (again.events["activity"] == "rejected").any()
    assert (again.events["attempt"] == 2).any()
    # remote work is a delay that no duration factor scales: no factor is fitted on it and
    # its distribution is not de-convolved
    hourly = calibrate(log, load_scenario("apartment"), durations="hour+resource")
    assert "work_completed" not in hourly.evidence["hour_factors"]
    assert "technician" not in hourly.evidence.get("resource", {})
    assert hourly.scenario.categories["it"].work_min == it.work_min
