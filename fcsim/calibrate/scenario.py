"""Calibration: an observed event log → a scenario that ``fcsim run`` accepts.

:func:`calibrate` starts from a base scenario (its roster, policies, control points and every
number the log cannot tell) and replaces the calibrated numbers: per category the daily
arrival rate and an hour-of-week profile, the branching probabilities, the diagnose and work
durations; the desk and site stage durations; the callback unreachable share. The written
file records, above each calibrated key, the fitted value, its 95 % interval, the sample size
and the goodness of fit. The roster is never calibrated: it is the decision variable.

Not calibrated (kept from the base, and said so in the file): ``sign_min`` and
``escalate_min`` (only measurable with the queueing before them), call-out, supervisor
resolution, appointment lead and pre-call times, satisfaction, ``reject_decay``,
``supervisor_resolves_p`` and the source shares. Monthly occupancy is dropped (the fitted
rates contain it). Holidays are detected or given (:mod:`fcsim.calibrate.holidays`), a weekly
trend is tested and extrapolated to a forecast window when significant
(:mod:`fcsim.calibrate.trend`), and ``durations="hour"|"hour+resource"`` adds
``[duration_factors]`` (:mod:`fcsim.calibrate.factors`), the stage distributions then
being fitted with those factors divided out; the evidence of each is in
:attr:`Calibration.evidence` and above its key.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.calibrate.arrivals import (
    ArrivalFit,
    arrival_rates,
    arrival_times,
    day_dispersion,
    log_window,
)
from fcsim.calibrate.durations import DurationFit, fit_duration
from fcsim.calibrate.holidays import (
    HolidayFit,
    daily_counts,
    detect_holidays,
    next_year,
    weekday_means,
)
from fcsim.calibrate.passes import stage_samples
from fcsim.calibrate.probabilities import branch_probabilities
from fcsim.calibrate.toml_out import _key, dumps
from fcsim.calibrate.trend import TrendFit, fit_trend
from fcsim.eventlog import EventLog
from fcsim.model.timezone import tz_name
from fcsim.scenarios import Scenario, scenario_from_dict

__all__ = ["ARRIVALS_ONLY", "DURATIONS", "NO_STARTED_AT", "Calibration", "calibrate",
           "write_scenario"]

log_ = logging.getLogger(__name__)

ARRIVALS_ONLY = ("the log records arrivals only: only the arrival rates and hour-of-week "
                 "profiles are estimated; stage durations, branching probabilities, sources "
                 "and the roster are the base's (not estimable from arrivals)")
#: the ``durations`` options of :func:`calibrate`
DURATIONS = ("plain", "hour", "hour+resource")
NO_STARTED_AT = ("the log has no started_at: it records completions only, so every duration "
                 "includes waiting, not just work")


@dataclass(frozen=True)
class Calibration:
    """The calibrated scenario and everything it was estimated from."""

    scenario: Scenario
    toml: str
    arrivals: ArrivalFit
    durations: pd.DataFrame  # one row per (field, category) sample and fit
    probabilities: pd.DataFrame
    parameters: pd.DataFrame  # path, estimate, ci_low, ci_high, n, kind
    fits: dict[tuple[str, str], DurationFit]
    warnings: tuple[str, ...]
    #: model-selection evidence (JSON-ready): holidays, trend, hour and resource effects,
    #: waiting before started_at
    evidence: dict[str, Any] = dc_field(default_factory=dict)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _fit_comment(field: str, fit: DurationFit, waiting: bool) -> str:
    lines = [f"calibrated: n = {fit.n}, sample mean {_fmt(fit.mean)} min"
             + (" (includes waiting)" if waiting else "")]
    if fit.best is not None:
        ranked = "; ".join(f"{f.family} AIC {f.aic:.1f} KS {f.ks:.3f} (p {f.ks_p:.2g}) "
                           f"AD {f.ad:.2f}" for f in fit.fits)
        lines.append(f"fits by AIC: {ranked}")
        ci = ", ".join(f"{k} {_fmt(v)} [{_fmt(fit.best.ci[k][0])}, {_fmt(fit.best.ci[k][1])}]"
                       for k, v in fit.best.params.items())
        lines.append(f"best {fit.best.family}: {ci} (95 % Wald)")
    if fit.reason:
        lines.append(f"chosen {fit.dist['dist']}: {fit.reason}")
    lines.extend(fit.notes)
    return "\n".join(lines)


def _template(base: Scenario, flags: tuple[bool, bool, bool]) -> tuple[str, dict[str, Any]]:
    for name, c in base.categories.items():
        if (c.route_dispatch, c.route_site_visit, c.route_callback) == flags:
            return name, c.model_dump(mode="python", by_alias=True)
    name, c = next(iter(base.categories.items()))
    return name, c.model_dump(mode="python", by_alias=True)


def _route_flags(log: EventLog) -> dict[str, tuple[bool, bool, bool]]:
    tk = log.tickets
    out: dict[str, tuple[bool, bool, bool]] = {}
    for c, g in tk.groupby(tk["category"].astype(str), observed=True):
        flags = [bool(g[f].astype("boolean").fillna(False).mean() >= 0.5)
                 for f in ("route_dispatch", "route_site_visit", "route_callback")]
        out[str(c)] = (flags[0], flags[1], flags[2])
    return out


def _remote_decisions(log: EventLog) -> dict[str, tuple[int, int]]:
    """Per category: its tickets with a customer's decision (``accepted``/``rejected``) and
    all its tickets — a department's remote work that the customer accepts or rejects."""
    ev, tk = log.events, log.tickets
    act = ev["activity"].astype(str)
    decided = set(ev.loc[act.isin(["accepted", "rejected"]), "ticket_id"].astype(str))
    has = tk["ticket_id"].astype(str).isin(decided)
    per = has.groupby(tk["category"].astype(str).to_numpy()).agg(["sum", "size"])
    return {str(c): (int(k), int(n)) for c, (k, n) in per.iterrows()}


def _departments(log: EventLog) -> dict[str, str]:
    tk = log.tickets
    dep = tk["department"].astype(object)
    out: dict[str, str] = {}
    for c, g in dep.groupby(tk["category"].astype(str)):
        m = g.dropna().astype(str)
        if len(m):
            out[str(c)] = str(m.mode().iloc[0])
    return out


def _sources(log: EventLog, cats: dict[str, dict[str, Any]], com: dict[str, str],
             warn: Any = None) -> None:
    """Source shares per category; a log without sources or relays: all customer calls. The
    log's own source names that are not fcsim's sources count as ``customer_call`` (a first
    contact at the desk), with a warning naming them."""
    from fcsim.model.taxonomy import Source

    tk = log.tickets
    relayed = bool((log.events["activity"].astype(str) == "relayed").any())
    known = {s.value for s in Source}
    seen = set(tk["source"].dropna().astype(str).unique())
    foreign = sorted(seen - known)
    if foreign and warn is not None:
        warn(f"source name(s) of the log that are not fcsim sources count as customer_call "
             f"(a first contact at the desk): {foreign}")
    for c, cfg in cats.items():
        src = tk.loc[tk["category"].astype(str) == c, "source"].dropna().astype(str)
        src = src.where(src.isin(known), Source.CUSTOMER_CALL.value)
        key = f"categories.{_key(c)}.sources"
        if len(src):
            shares = src.value_counts(normalize=True).sort_index()
            vals = [round(float(v), 6) for v in shares]
            vals[-1] = round(1.0 - sum(vals[:-1]), 6)
            cfg["sources"] = dict(zip(shares.index, vals, strict=True))
            com[key] = f"calibrated: shares of {len(src)} tickets with a known source"
        elif not relayed:
            cfg["sources"] = {"customer_call": 1.0}
            com[key] = "the log records no source and no relay: all first contacts at the desk"


def _drain(log: EventLog, data: dict[str, Any], com: dict[str, str]) -> None:
    """The drain after the horizon from the log's cycle-time tail: twice its 99th percentile
    (at least one day), not the base's."""
    from fcsim.calibrate.passes import cycle_times

    ct = cycle_times(log)["cycle_min"]
    if len(ct):
        q99 = float(ct.quantile(0.99))
        data["scenario"]["drain_max_days"] = float(max(1, math.ceil(2 * q99 / 1440.0)))
        com["scenario.drain_max_days"] = (
            f"twice the observed 99th-percentile cycle time ({q99 / 1440.0:.3g} days, "
            f"{len(ct)} tickets)")
    else:
        com["scenario.drain_max_days"] = "the log has no closed ticket: the base's value kept"


#: most observed vectors written per category (a seeded subsample above it)
JOINT_MAX_ROWS = 2000


def _joint(log: EventLog, samples: pd.DataFrame, cats: dict[str, dict[str, Any]],
           com: dict[str, str], *, min_n: int) -> None:
    """Per category, the joint bootstrap of its passes' stage vectors: the stages present in
    at least half of its passes with more than one value, over the passes that have them all
    (at least ``min_n``); the evidence (Kendall τ of each pair) goes into the comment."""
    import numpy as np
    from scipy import stats

    from fcsim.scenarios.config import JOINT_STAGES

    tk = log.tickets
    cat_of = pd.Series(tk["category"].astype(str).to_numpy(),
                       index=tk["ticket_id"].astype(str))
    s = samples[samples["stage"].isin(JOINT_STAGES)]
    s = s.assign(cat=cat_of.reindex(s["ticket_id"].astype(str)).to_numpy(),
                 key=s["ticket_id"].astype(str) + "|" + s["attempt"].astype(str))
    for c, g in s.groupby("cat", sort=True):
        if c not in cats:
            continue
        wide = g.pivot_table(index="key", columns="stage", values="value_min",
                             aggfunc="first")
        keep = [st for st in JOINT_STAGES if st in wide.columns
                and wide[st].notna().mean() >= 0.5 and wide[st].nunique() > 1]
        if len(keep) < 2:
            continue
        rows = wide[keep].dropna().to_numpy(float)
        if len(rows) < min_n:
            continue
        taus = "; ".join(
            f"{a}/{b} {stats.kendalltau(rows[:, i], rows[:, j]).statistic:.2f}"
            for i, a in enumerate(keep) for j, b in enumerate(keep) if i < j)
        n_all = len(rows)
        if n_all > JOINT_MAX_ROWS:
            pick = np.sort(np.random.default_rng(0).choice(n_all, JOINT_MAX_ROWS,
                                                           replace=False))
            rows = rows[pick]
        cfg = cats[c]
        cfg["joint_fields"] = keep
        cfg["joint_rows"] = [[float(f"{v:.6g}") for v in r] for r in rows]
        com[f"categories.{_key(c)}.joint_fields"] = (
            f"joint bootstrap of {len(rows)} observed stage vectors (of {n_all} complete "
            f"passes): the stages of a pass are dependent (Kendall tau {taus}); a copula on "
            "log-durations would need a marginal family per stage, which the KS tests reject "
            "for most stages of real logs")


def _calendar(log: EventLog, zone: tzinfo, win: tuple[pd.Timestamp, pd.Timestamp],
              holidays: str | Sequence[date], level: float) -> tuple[HolidayFit, TrendFit]:
    """The window's holidays (detected, given or none) and the weekly trend without them."""
    import numpy as np

    arr = arrival_times(log)["received"]
    counts = daily_counts(arr[(arr >= win[0]) & (arr < win[1])], win[0], win[1], zone)
    if isinstance(holidays, str) and holidays == "none":
        hol = detect_holidays(counts.iloc[:0], level=level)
    else:
        hol = detect_holidays(counts, level=level,
                              given=None if isinstance(holidays, str) else holidays)
    ordinary = np.array([d not in set(hol.holidays) for d in counts.index.date], bool)
    tr = fit_trend(counts, weekday_means(counts, ordinary), ordinary, level=level)
    return hol, tr


def _holidays_and_trend(hol: HolidayFit, tr: TrendFit, holidays: str | Sequence[date],
                        trend: str, forecast: tuple[Any, Any] | None, data: dict[str, Any],
                        com: dict[str, str], evidence: dict[str, Any],
                        base_factor: float) -> float:
    """Write the holiday calendar and factor; return the trend's rate multiplier."""
    meta = data["scenario"]
    if isinstance(holidays, str) and holidays == "none":
        com["scenario.holidays"] = ("no holiday calendar (--holidays none): holidays are in "
                                    "the fitted rates")
    else:
        cal = (tuple(sorted(set(holidays))) if not isinstance(holidays, str)
               else tuple(sorted(set(hol.holidays) | set(next_year(hol.holidays)))))
        meta["holidays"] = list(cal)
        found = ", ".join(f"{d['date']} ({d['count']} vs {d['expected']:.3g} expected, "
                          f"p {d['p_lower']:.2g})" for d in hol.days) or "none"
        com["scenario.holidays"] = (
            (f"the given calendar ({len(cal)} dates); {len(hol.holidays)} in the training "
             f"window: {found}" if hol.given else
             f"detected: days whose count is below the weekday mean at family-wise level "
             f"{hol.level:g} (one-sided gamma-Poisson, c = {hol.cv:.3g}, Bonferroni over "
             f"{hol.n_days} days): {found}; the same dates a year later are written too "
             "(the test period's holidays, when the training covers them)")
            + "; their days are left out of the rates, the profile and the day factor")
        if hol.factor is not None and hol.factor_ci is not None:
            meta["holiday_factor"] = round(hol.factor, 4)
            com["scenario.holiday_factor"] = (
                f"calibrated: {hol.factor:.3g} [{hol.factor_ci[0]:.3g}, {hol.factor_ci[1]:.3g}]"
                " (observed over expected arrivals on the holidays, 95 % exact Poisson)")
        else:
            meta["holiday_factor"] = base_factor
            com["scenario.holiday_factor"] = ("not calibrated: no holiday in the training "
                                              "window (the base's value)")
    evidence["holidays"] = hol.evidence()
    ev = tr.evidence()
    mult = 1.0
    if trend == "test" and forecast is not None and tr.significant:
        f0, f1 = (pd.Timestamp(x).tz_convert("UTC") for x in forecast)
        mult = tr.multiplier(f0, f1)
    ev.update(mode=trend, applied=mult != 1.0, multiplier=mult,
              forecast=[str(x) for x in forecast] if forecast is not None else None)
    evidence["trend"] = ev
    slope = (f"slope {tr.slope:.3g} per week [{tr.ci[0]:.3g}, {tr.ci[1]:.3g}] (95 %), "
             f"p {tr.p_value:.2g}, {tr.weeks} weeks" if math.isfinite(tr.slope)
             else f"not estimable ({tr.weeks} whole weeks < 8)")
    why = ("extrapolated to the forecast window: rates × " + f"{mult:.4g}" if mult != 1.0
           else "off (--trend off)" if trend == "off"
           else "no forecast window given: not extrapolated" if forecast is None
           else f"not significant at {tr.level:g}: not extrapolated")
    com["scenario.days"] = (com.get("scenario.days", "")
                            + f"\nweekly trend (log-linear, quasi-Poisson): {slope}; {why}")
    return mult


def _waiting(samples: pd.DataFrame) -> dict[str, Any]:
    """Per stage, how many samples were measured from ``started_at`` and the queueing before
    it (median minutes); stages measured between events include waiting."""
    out: dict[str, Any] = {}
    if samples.empty:
        return out
    for stage, g in samples.groupby("stage", sort=True):
        w = g["wait_min"].dropna()
        out[str(stage)] = {"n": len(g), "n_from_started_at": len(w),
                           "n_including_waiting": int(g["includes_waiting"].sum()),
                           "median_wait_min": float(w.median()) if len(w) else None}
    return out


def _duration_factors(samples: pd.DataFrame, durations: str, zone: tzinfo,
                      data: dict[str, Any], com: dict[str, str], evidence: dict[str, Any],
                      *, min_n: int) -> pd.DataFrame:
    """``[duration_factors]``: hour factors (where AIC prefers them) and, with
    ``hour+resource``, each staff group's σ of its role; returns the samples with the
    factors the simulator will apply divided out (:func:`fcsim.calibrate.factors.
    deconvolve`), for the stage distributions."""
    from fcsim.calibrate.factors import ResourceFit, deconvolve, hour_factors, resource_sigma

    hours = hour_factors(samples, zone, min_n=min_n)
    evidence["hour_factors"] = {h.activity: h.evidence() for h in hours}
    table: dict[str, Any] = {"hour": {h.activity: [round(f, 4) for f in h.factors]
                                      for h in hours if h.helps}}
    lines = [f"{h.activity}: n {h.n}, LR {h.lr:.1f} on {h.df} df (p {h.p_value:.2g}), "
             f"ΔAIC {h.delta_aic:.1f} -> {'used' if h.helps else 'not used'}" for h in hours]
    com["duration_factors.hour"] = (
        "hour-of-day factors (local hour of the stage's start): hour median / overall median, "
        "shrunk by n/(n+30), mean 1 over the sample; an activity gets them when AIC of its "
        "log-durations prefers hour means; the stage distributions are fitted with the used "
        "factors divided out (each sample's mean kept)\n"
        + ("\n".join(lines) or "no activity with enough values"))
    applied: dict[str, ResourceFit] = {}  # the roles whose σ a staff group carries
    if durations == "hour+resource":
        fits = {r.role: r for r in resource_sigma(samples, min_n=min_n)}
        evidence["resource"] = {k: r.evidence() for k, r in fits.items()}
        sig: dict[str, float] = {}
        for gname, g in data["staff"].items():
            role = str(g["role"].value if hasattr(g["role"], "value") else g["role"])
            if role in fits and math.isfinite(fits[role].sigma):
                sig[gname] = round(fits[role].sigma, 4)
                applied[role] = fits[role]
        table["resource_sigma"] = sig
        com["duration_factors.resource_sigma"] = (
            "between-resource σ of log-durations (one-way random-effects ANOVA, stage means "
            "removed), a lognormal speed factor of mean 1 per member; the stage distributions "
            "are fitted with each resource's predicted effect (BLUP) divided out\n" + "\n".join(
                f"{r.role}: σ {r.sigma:.3g} [{r.sigma_ci[0]:.3g}, {r.sigma_ci[1]:.3g}] (95 %), "
                f"variance share {r.share:.3g}, F-test p {r.p_value:.2g}, {r.resources} "
                f"resources, n {r.n}" for r in fits.values()) if fits else
            "between-resource σ: the log names no resources with enough values")
    data["duration_factors"] = table
    return deconvolve(samples, zone, hours, list(applied.values()))


def _clean(x: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item") and not isinstance(x, str):
        return _clean(x.item())
    return x


def _log_zone(log: EventLog) -> tzinfo | None:
    """The log's own IANA zone (its manifest's ``time_zone``), if any."""
    from fcsim.model.timezone import parse_tz

    name = (log.manifest or {}).get("time_zone")
    return parse_tz(name) if isinstance(name, str) and name else None


def calibrate(log: EventLog, base: Scenario, *, name: str | None = None,
              tz: tzinfo | None = None, window: tuple[Any, Any] | None = None,
              min_n: int = 30, pooled_below: int = 200, source: str = "",
              keep_roster: bool = False, utilisation: float = 0.8,
              dependence: str = "joint", holidays: str | Sequence[date] = "detect",
              trend: str = "test", forecast: tuple[Any, Any] | None = None,
              durations: str = "plain", level: float = 0.01) -> Calibration:
    """Estimate a scenario from ``log``, starting from ``base``.

    Parameters
    ----------
    log
        The observed (or simulated) event log.
    base
        Scenario whose roster, policies, bounds and uncalibrated numbers are kept.
    name
        Name of the new scenario (default ``<base>-calibrated``).
    tz
        The site's time zone: of the hour-of-week profiles, and the calibrated scenario's
        ``time_zone`` (default: the log's own, from its manifest, else the base's zone).
    window
        Arrival window ``(start, end)``; default the manifest's or the arrivals' span.
    min_n
        Smallest sample fitted; smaller ones keep the base's value (a warning says so).
    pooled_below
        Categories with fewer arrivals share the profile fitted to all arrivals.
    source
        Where the log came from (written in the file's header).
    keep_roster
        Keep the base's roster instead of estimating staff from the log (a warning says so).
    utilisation
        The utilisation over which the offered load is staffed
        (:mod:`fcsim.calibrate.staffing`).
    dependence
        ``"joint"``: a category's stages are drawn as observed vectors (a joint bootstrap,
        :func:`_joint`) where it has enough complete passes; ``"independent"``: each stage
        from its own fitted distribution.
    holidays
        ``"detect"`` (default): a holiday calendar detected in the log
        (:mod:`fcsim.calibrate.holidays`); ``"none"``: no calendar (holidays stay in the
        rates); or the calendar's dates.
    trend
        ``"test"`` (default): a log-linear trend of the weekly arrivals, extrapolated to
        ``forecast`` when significant (:mod:`fcsim.calibrate.trend`); ``"off"``.
    forecast
        ``(start, end)`` of the period the scenario will forecast (``fcsim validate``'s test
        period); without it no trend is extrapolated (the evidence is still reported).
    durations
        ``"plain"`` (default): stage durations depend on the ticket's own draws only;
        ``"hour"``: plus hour-of-day factors; ``"hour+resource"``: plus a speed factor per
        staff member (:mod:`fcsim.calibrate.factors`).
    level
        Level of the holiday detection (family-wise) and of the trend test.
    """
    if dependence not in ("joint", "independent"):
        raise ValueError(f"dependence must be 'joint' or 'independent', got {dependence!r}")
    if durations not in DURATIONS:
        raise ValueError(f"durations must be one of {DURATIONS}, got {durations!r}")
    if trend not in ("test", "off"):
        raise ValueError(f"trend must be 'test' or 'off', got {trend!r}")
    if isinstance(holidays, str) and holidays not in ("detect", "none"):
        raise ValueError(f"holidays must be 'detect', 'none' or dates, got {holidays!r}")
    warnings: list[str] = []

    def warn(msg: str) -> None:
        log_.warning(msg)
        warnings.append(msg)

    zone = tz or _log_zone(log) or base.scenario.tz
    acts = set(log.events["activity"].astype(str).unique())
    arrivals_only = acts <= {"received", "relayed"}
    if arrivals_only:
        warn(ARRIVALS_ONLY)
        keep_roster = True
    elif not log.events["started_at"].notna().any():
        warn(NO_STARTED_AT)
    win = log_window(log) if window is None else (pd.Timestamp(window[0]).tz_convert("UTC"),
                                                  pd.Timestamp(window[1]).tz_convert("UTC"))
    evidence: dict[str, Any] = {}
    hol, tr = _calendar(log, zone, win, holidays, level)
    arr = arrival_rates(log, tz=zone, window=win, pooled_below=pooled_below,
                        exclude=hol.holidays)
    meta = base.scenario
    scale = meta.units * meta.occupancy
    data = base.to_data()
    com: dict[str, str] = {}
    params: list[dict[str, Any]] = []
    start_local = arr.start.tz_convert(zone).to_pydatetime()
    data["scenario"].update(
        name=name or f"{base.name}-calibrated",
        description=f"calibrated from {source or 'an event log'} on base {base.name!r}",
        start=start_local, time_zone=tz_name(zone), days=round(arr.days, 6),
        occupancy_by_month=None, holidays=[])
    com["scenario.days"] = f"observed window [{arr.start}, {arr.end}) UTC"
    com["scenario.holidays"] = "holidays and monthly occupancy are in the fitted rates"
    mult = _holidays_and_trend(hol, tr, holidays, trend, forecast, data, com, evidence,
                               base.scenario.holiday_factor)
    if not arrivals_only:  # the log's shares are marginal: they already hold these effects
        q = data["quality"]
        for k in [k for k in q if "_odds_" in k]:
            q[k] = 1.0
            com[f"quality.{k}"] = ("1 (neutral): the calibrated shares are the log's marginal "
                                   "ones, which already contain this effect")
    cv, n_days = day_dispersion(log, tz=zone, window=(arr.start, arr.end),
                                exclude=hol.holidays)
    data["scenario"]["day_factor_cv"] = round(cv, 4)
    com["scenario.day_factor_cv"] = (
        f"calibrated: gamma day factor by the method of moments on {n_days} whole days "
        "(daily counts against their weekday's mean)" if n_days >= 14 else
        f"not calibrated: {n_days} whole days (< 14): Poisson")
    flags = _route_flags(log)
    depts = _departments(log)
    decisions = _remote_decisions(log)
    new_cats: dict[str, dict[str, Any]] = {}
    for c, ca in arr.categories.items():
        if c in base.categories:
            cfg = base.categories[c].model_dump(mode="python", by_alias=True)
        else:
            tname, cfg = _template(base, flags.get(c, (True, True, True)))
            rd, rs, rc = flags.get(c, (True, True, True))
            cfg.update(route_dispatch=rd, route_site_visit=rs, route_callback=rc,
                       label_zh="", label_en=c, appointment_p=0.0 if not rs else
                       cfg["appointment_p"])
            if not rs and c in depts:
                cfg["department"] = depts[c]
            warn(f"category {c!r} is not in base {base.name!r}: its other numbers come from "
                 f"{tname!r}")
        if cfg["route_dispatch"] and not cfg["route_site_visit"]:
            k, n = decisions.get(c, (0, 0))
            cfg["remote_acceptance"] = n > 0 and k / n >= 0.5
            com[f"categories.{_key(c)}.remote_acceptance"] = (
                f"{k} of {n} tickets carry the customer's decision on the department's remote "
                "work: " + ("accepted or rejected (a rejection opens a second pass)"
                            if cfg["remote_acceptance"] else "not modelled (fewer than half)"))
        prof = f"cal_{c}"
        data["profiles"][prof] = {"hourly": [round(x, 4) for x in ca.hourly],
                                  "weekly": [round(x, 4) for x in ca.weekly]}
        com[f"profiles.{_key(prof)}"] = (
            f"hour-of-week profile of {c!r} from {ca.n} arrivals"
            + (f" (pooled over all categories: fewer than {pooled_below})"
               if ca.n < pooled_below else "")
            + f"; product form vs 168 slots: deviance {ca.deviance:.1f} on {ca.df} df"
              f" (p {ca.p_value:.2g})")
        cfg["profile"] = prof
        rate = ca.per_day / scale * mult
        cfg["rate_per_unit_day"] = float(f"{rate:.6g}")
        lo, hi = ca.per_day_ci
        key = f"categories.{_key(c)}"
        com[f"{key}.rate_per_unit_day"] = (
            f"calibrated: {ca.n} arrivals in {arr.days:.2f} days"
            + (f" ({len(hol.holidays)} holiday(s) left out)" if hol.holidays else "")
            + f" = {_fmt(ca.per_day)} a day "
            f"[{_fmt(lo)}, {_fmt(hi)}] (95 % exact Poisson) / ({meta.units} units × "
            f"{meta.occupancy} occupancy)"
            + (f" × trend {mult:.4g} to the forecast window" if mult != 1.0 else ""))
        params.append({"path": f"{key}.rate_per_unit_day", "estimate": rate,
                       "ci_low": lo / scale * mult, "ci_high": hi / scale * mult, "n": ca.n,
                       "kind": "rate"})
        new_cats[c] = cfg
    _sources(log, new_cats, com, warn)
    _drain(log, data, com)
    dropped = sorted(set(base.categories) - set(new_cats))
    if dropped:
        warn(f"categories of the base with no arrivals in the log are dropped: {dropped}")
    data["categories"] = new_cats
    used = {"flat"} | {c["profile"] for c in new_cats.values()}
    data["profiles"] = {k: v for k, v in data["profiles"].items() if k in used}
    probs = branch_probabilities(log)
    for r in probs.itertuples(index=False):
        if r.parameter == "outcomes.unreachable_p":
            tbl, key = data["outcomes"], "outcomes.unreachable_p"
            fld = "unreachable_p"
        elif r.category in new_cats:
            tbl, fld = new_cats[r.category], str(r.parameter)
            key = f"categories.{_key(r.category)}.{fld}"
        else:
            continue
        if r.n == 0 and fld == "record_error_p":  # its consequences are in the fitted data
            tbl[fld] = 0.0
            com[key] = ("not measurable in the log (no record_accurate): 0, so that wasted "
                        "trips, unreachable callbacks and misroutes are not counted twice")
            continue
        if r.n == 0:
            com[key] = "not calibrated: the log never reaches this branch (base value kept)"
            continue
        if fld == "appointment_p" and r.k > 0 and not tbl.get("route_site_visit", True):
            continue
        tbl[fld] = float(f"{r.value:.6g}")
        com[key] = (f"calibrated: {r.k} of {r.n} = {_fmt(r.value)} "
                    f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] (95 % Wilson)")
        params.append({"path": key, "estimate": r.value, "ci_low": r.ci_low,
                       "ci_high": r.ci_high, "n": r.n, "kind": "probability"})
    for cfg in new_cats.values():  # the intake split must stay a probability split
        if cfg["emergency_p"] + cfg["appointment_p"] > 1:
            cfg["appointment_p"] = 1 - cfg["emergency_p"]
    samples = stage_samples(log)
    measured = samples  # what the distributions are fitted to: the samples with the
    if durations != "plain" and not samples.empty:  # duration factors divided out
        # a remote department's work is a delay, not a member's job: no factor scales it
        remote = [c for c, cfg in new_cats.items()
                  if cfg["route_dispatch"] and not cfg["route_site_visit"]]
        delay = (samples["stage"] == "work") & samples["category"].isin(remote)
        scaled = _duration_factors(samples[~delay], durations, zone, data, com, evidence,
                                   min_n=min_n)
        measured = pd.concat([scaled, samples[delay]]).sort_index()
    fits: dict[tuple[str, str], DurationFit] = {}
    drows: list[dict[str, Any]] = []
    for (field, cat), g in measured.groupby(["field", "category"], sort=True):
        waiting = bool(g["includes_waiting"].any())
        if cat and cat not in new_cats:
            continue
        key = (f"categories.{_key(cat)}.{field}" if cat else field)
        pooled: list[str] = []
        if len(g) < min_n and cat:  # pool over the categories of the same route
            rs = new_cats[cat]["route_site_visit"]
            pooled = sorted(c for c in new_cats if new_cats[c]["route_site_visit"] == rs)
            g = measured[(measured["field"] == field) & measured["category"].isin(pooled)]
        if len(g) < min_n:
            warn(f"{key}: only {len(g)} value(s) (< {min_n}): base value kept")
            continue
        if pooled:
            own = int((samples["field"].eq(field) & samples["category"].eq(cat)).sum())
            warn(f"{key}: only {own} value(s) (< {min_n}): fitted on {len(g)} values pooled "
                 f"over categories {pooled}")
        fit = fit_duration(g["value_min"].to_numpy(float))
        target = new_cats[cat] if cat else data["stages"]
        target[field.split(".")[-1]] = fit.dist
        com[key] = (f"pooled over categories {pooled}\n" if pooled else "") + _fit_comment(
            field, fit, waiting)
        if pooled:
            continue
        fits[(field, cat)] = fit
        drows.append({"field": field, "category": cat, "n": fit.n, "n_zero": fit.n_zero,
                      "mean_min": fit.mean, "includes_waiting": waiting,
                      "dist": fit.dist["dist"], "best": fit.best.family if fit.best else "",
                      "reason": fit.reason,
                      **({f"{f.family}_aic": f.aic for f in fit.fits}),
                      **({f"{f.family}_ks_p": f.ks_p for f in fit.fits})})
        if fit.best is not None and fit.dist["dist"] == fit.best.family:
            for pname, v in fit.best.params.items():
                lo, hi = fit.best.ci[pname]
                params.append({"path": f"{key}.{pname}", "estimate": v, "ci_low": lo,
                               "ci_high": hi, "n": fit.n, "kind": f"duration:{fit.dist['dist']}"})
    if any(samples["includes_waiting"]) and NO_STARTED_AT not in warnings:
        stages = sorted(set(samples.loc[samples["includes_waiting"], "field"]))
        warn(f"durations measured between events, including waiting: {stages}")
    if dependence == "joint" and not samples.empty:
        _joint(log, measured, new_cats, com, min_n=min_n)
    evidence["waiting"] = _waiting(samples)
    close_wait = samples.loc[samples["stage"] == "close", "includes_waiting"]
    if len(close_wait) and bool(close_wait.any()):
        data["policy"]["close_timer"] = True
        com["policy.close_timer"] = ("the close delay is measured between events (it includes "
                                     "waiting): a timer, not desk work")
    if keep_roster:
        if not arrivals_only:
            warn(f"the roster is the base's ({base.name!r}), not estimated from the log")
        roster_note = f"The roster is the base's ({base.name!r}): kept on request."
    else:
        from fcsim.calibrate.staffing import apply_estimates, estimate_staff

        ests = estimate_staff(log, data, utilisation=utilisation,
                              waiting=bool(samples["includes_waiting"].any()))
        apply_estimates(data, ests)
        for e in ests:
            com[f"staff.{_key(e.group)}.shifts"] = e.evidence
        roster_note = ("Staff estimated from the log: " + ", ".join(
            f"{e.group} {e.count}" for e in ests) + ".")
    for fld in ("stages.sign_min", "stages.escalate_min"):
        com.setdefault(fld, "not calibrated: the log shows it only with the queue before it")
    header = (f"{data['scenario']['name']} — written by fcsim calibrate from "
              f"{source or 'an event log'} on base scenario {base.name!r}.\n"
              f"Window [{arr.start}, {arr.end}) UTC; hours of the week in UTC offset "
              f"{start_local.strftime('%z')}.\n"
              "Calibrated keys carry their fitted values, 95 % intervals and sample sizes.\n"
              + roster_note)
    if warnings:
        header += "\nWarnings:\n" + "\n".join(f"- {w}" for w in warnings)
    text = dumps(data, comments=com, header=header)
    scenario = scenario_from_dict(_reload(text), origin="calibrated scenario")
    return Calibration(
        scenario=scenario, toml=text, arrivals=arr, durations=pd.DataFrame(drows),
        probabilities=probs, parameters=pd.DataFrame(
            params, columns=["path", "estimate", "ci_low", "ci_high", "n", "kind"]),
        fits=fits, warnings=tuple(warnings), evidence=_clean(evidence))


def _reload(text: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(text)


def write_scenario(cal: Calibration, path: str | Path) -> Path:
    """Write the calibrated scenario's TOML to ``path`` (``load_scenario`` reads it back)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(cal.toml, encoding="utf-8")
    return p
