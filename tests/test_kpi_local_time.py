"""Weeks and months in the site's time zone (``docs/kpi-glossary.md``), DST included.

Known answers by hand: Europe/Amsterdam moves to summer time on Sunday 2026-03-29 (02:00 →
03:00) and back on Sunday 2026-10-25 (03:00 → 02:00), so the ISO weeks holding those Sundays
last 167 and 169 hours. A +08:00 site's Monday 00:00 is Sunday 16:00 UTC, and its 1 April
00:00 is 31 March 16:00 UTC.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from logbuilder import LogBuilder

from fcsim.cli import main
from fcsim.eventlog import write_log
from fcsim.kpi import evaluate, periods, write_kpi
from fcsim.kpi.periods import period_bounds
from fcsim.kpi.zones import resolve_time_zones
from fcsim.model.timezone import parse_tz

AMS = parse_tz("Europe/Amsterdam")
SHA = parse_tz("Asia/Shanghai")


def _ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


@pytest.mark.parametrize("instant, start, end, hours", [
    # spring forward: Mon 23 Mar 00:00 CET (+01) → Mon 30 Mar 00:00 CEST (+02)
    ("2026-03-29T23:30:00+02:00", "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
     167),
    # fall back: Mon 19 Oct 00:00 CEST → Mon 26 Oct 00:00 CET
    ("2026-10-25T12:00:00+01:00", "2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
     169),
    # an ordinary week
    ("2026-03-30T00:30:00+02:00", "2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00",
     168),
])
def test_amsterdam_weeks_across_dst(instant: str, start: str, end: str, hours: int) -> None:
    s, e = period_bounds(np.array([_ms(instant)]), "week", AMS)
    assert (int(s[0]), int(e[0])) == (_ms(start), _ms(end))
    assert (e[0] - s[0]) / 3_600_000 == hours


def test_amsterdam_month_across_dst() -> None:
    s, e = period_bounds(np.array([_ms("2026-03-31T23:59:00+02:00")]), "month", AMS)
    assert (int(s[0]), int(e[0])) == (_ms("2026-03-01T00:00:00+01:00"),
                                      _ms("2026-04-01T00:00:00+02:00"))
    assert (e[0] - s[0]) / 3_600_000 == 31 * 24 - 1


def test_fixed_offsets_and_utc_agree_with_hand_arithmetic() -> None:
    ms = np.array([_ms("2026-03-01T16:30:00+00:00")])  # Monday 00:30 at +08:00
    s, _ = period_bounds(ms, "week", parse_tz("+08:00"))
    assert int(s[0]) == _ms("2026-03-02T00:00:00+08:00")
    s, _ = period_bounds(ms, "week", UTC)
    assert int(s[0]) == _ms("2026-02-23T00:00:00+00:00")
    s, _ = period_bounds(ms, "week", parse_tz(-5))  # Sunday 11:30 at −05:00
    assert int(s[0]) == _ms("2026-02-23T00:00:00-05:00")


def _local_log(manifest: dict | None) -> LogBuilder:
    """Tickets of an apartment-like site at +08:00, near week and month edges."""
    b = LogBuilder(scenario="apartment", replication=0, manifest=manifest)
    for tid, when in (("MON", "2026-03-02T00:30:00+08:00"),   # Sun 16:30 UTC
                      ("SUN", "2026-03-08T23:30:00+08:00"),   # still the week of 2 March
                      ("APR", "2026-04-01T03:00:00+08:00"),   # 31 March 19:00 UTC
                      ("MAR", "2026-03-31T23:00:00+08:00")):
        t0 = pd.Timestamp(when)
        b.ticket(tid).at(t0, "received").at(t0 + pd.Timedelta(seconds=30), "recorded")
    return b


def test_weekly_table_starts_monday_local_and_months_are_local(tmp_path: Path) -> None:
    log = _local_log({"time_zone": {"apartment": "Asia/Shanghai"}}).build()
    wk = periods(log, period="week")
    rec = wk[wk["indicator"].astype(str) == "accuracy"]
    starts = [str(x) for x in rec["period_start"]]
    assert starts == ["2026-03-02 00:00:00+08:00", "2026-03-30 00:00:00+08:00"]
    assert rec["denominator"].tolist() == [2, 2]  # MON+SUN, then MAR+APR
    mo = periods(log, period="month")
    acc = mo[mo["indicator"].astype(str) == "accuracy"]
    assert [str(x) for x in acc["period_start"]] == ["2026-03-01 00:00:00+08:00",
                                                     "2026-04-01 00:00:00+08:00"]
    assert acc["denominator"].tolist() == [3, 1]  # APR (received 03:00 local on the 1st)
    # written with the local offset
    write_kpi(evaluate(log, period="month"), tmp_path)
    csv = pd.read_csv(tmp_path / "periods.csv")
    assert csv["period_start"].iloc[0] == "2026-03-01 00:00:00+08:00"
    assert csv["period_end"].iloc[-1] == "2026-05-01 00:00:00+08:00"


def test_utc_cut_differs_where_the_issue_said() -> None:
    """Without a zone, the same tickets fall as KPI.md's UTC cut puts them."""
    mo = periods(_local_log(None).build(), period="month")
    acc = mo[mo["indicator"].astype(str) == "accuracy"]
    # all four are March in UTC: APR was received on 31 March 19:00 UTC
    assert [str(x) for x in acc["period_start"]] == ["2026-03-01 00:00:00+00:00"]
    assert acc["denominator"].tolist() == [4]


def test_zone_order_argument_manifest_default() -> None:
    man = {"time_zone": {"a": "Asia/Shanghai"}}
    zones, src = resolve_time_zones(["a", "b"], manifest=man)
    assert (zones["a"], zones["b"], src) == (SHA, UTC, "default")
    zones, src = resolve_time_zones(["a"], manifest=man, tz="Europe/Amsterdam")
    assert (zones["a"], src) == (AMS, "argument")
    zones, src = resolve_time_zones([None], manifest={"time_zone": "+08:00"})
    assert src == "manifest" and zones[None].utcoffset(None) == pd.Timedelta(hours=8)
    with pytest.raises(ValueError, match=r"manifest.json: time_zone\['a'\].*Mars/Base"):
        resolve_time_zones(["a"], manifest={"time_zone": {"a": "Mars/Base"}})


def test_several_scenarios_each_in_its_own_zone() -> None:
    b = LogBuilder(manifest={"time_zone": {"sh": "Asia/Shanghai", "ams": "Europe/Amsterdam"}})
    t0 = pd.Timestamp("2026-03-01T20:00:00+00:00")  # Mon 04:00 Shanghai, Sun 21:00 Amsterdam
    for sc in ("sh", "ams"):
        b.ticket(f"T-{sc}", scenario=sc, replication=0).at(t0, "received")
    wk = periods(b.build())
    got = {str(r.scenario): str(r.period_start) for r in wk.itertuples()}
    assert got == {"sh": "2026-03-02 00:00:00+08:00", "ams": "2026-02-23 00:00:00+01:00"}


def test_cli_kpi_zone_from_tz_or_warns_once(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    b = LogBuilder()
    b.ticket("T").at("2026-03-01T16:30:00+00:00", "received")
    write_log(b.build(), tmp_path / "log", fmt="csv")
    assert main(["kpi", str(tmp_path / "log"), "--out", str(tmp_path / "u")]) == 0
    err = capsys.readouterr().err
    assert err.count("weeks and months are cut in UTC") == 1
    assert pd.read_csv(tmp_path / "u" / "periods.csv")["period_start"].iloc[0] == \
        "2026-02-23 00:00:00+00:00"
    for flag, want in (("--tz", "2026-03-02 00:00:00+08:00"),
                       ("--utc-offset", "2026-03-02 00:00:00+08:00")):
        assert main(["kpi", str(tmp_path / "log"), flag, "Asia/Shanghai",
                     "--out", str(tmp_path / flag)]) == 0
        assert "UTC" not in capsys.readouterr().err
        assert pd.read_csv(tmp_path / flag / "periods.csv")["period_start"].iloc[0] == want
    with pytest.raises(SystemExit):
        main(["kpi", str(tmp_path / "log"), "--tz", "Nowhere/City", "--out", str(tmp_path)])
    assert "Nowhere/City" in capsys.readouterr().err


def test_cli_kpi_takes_the_recorder_site_zone(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert main(["record", "--db", db, "site", "--tz", "Asia/Shanghai"]) == 0
    b = LogBuilder()
    b.ticket("T").at("2026-03-01T16:30:00+00:00", "received")
    write_log(b.build(), tmp_path / "log", fmt="csv")  # a log without a manifest
    capsys.readouterr()
    assert main(["kpi", str(tmp_path / "log"), "--db", db, "--out", str(tmp_path / "o")]) == 0
    assert "UTC" not in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "o" / "periods.csv")["period_start"].iloc[0] == \
        "2026-03-02 00:00:00+08:00"


def test_apartment_run_weeks_start_monday_local(tmp_path: Path) -> None:
    """``fcsim run apartment``: the manifest carries Asia/Shanghai; the weekly table's weeks
    start on Monday 00:00 +08:00 (the scenario starts Monday 2 March 00:00 local)."""
    out = tmp_path / "run"
    assert main(["run", "apartment", "--days", "8", "--seed", "3", "--no-report",
                 "--no-progress", "--out", str(out)]) == 0
    per = pd.read_csv(out / "periods.csv")
    starts = sorted(set(per["period_start"]))
    assert starts[:2] == ["2026-03-02 00:00:00+08:00", "2026-03-09 00:00:00+08:00"]
    assert all(s.endswith("00:00:00+08:00") for s in per["period_end"])
    own = pd.read_csv(out / "ownership.csv")
    assert own["measure"].unique().tolist() == ["ownership_continuity"]
    assert (own["numerator"] <= own["denominator"]).all() and own["denominator"].sum() > 0
