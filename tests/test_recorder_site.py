"""The recorder's site: its IANA time zone and bounds, set once and used by status, export
and ``fcsim kpi`` (the same bounds code as for simulated logs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from fcsim.cli import main
from fcsim.eventlog import read_log
from fcsim.recorder import Recorder, RecorderError
from fcsim.recorder.store import dump

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BOUNDS = ("[on_site]\nupper_s = 900\n[on_site.category.engineering]\nupper_s = 600\n"
          "[on_site.emergency]\nupper_s = 300\n")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _open(rec: Recorder, tid: str, *, emergency: bool = False) -> None:
    rec.open_ticket(tid, category="engineering", received_at=at(0), emergency=emergency,
                    location="A-101", content="leak", contact="c", phone="p",
                    resource="desk-1", by="desk-1")
    rec.append(tid, "recorded", at(40), resource="desk-1", role="desk")
    if emergency:  # the emergency's on-site clock starts at its report (100 s)
        rec.append(tid, "emergency_reported", at(100), resource="sup-1", role="supervisor")
    rec.append(tid, "classified", at(101 if emergency else 50), resource="desk-1", role="desk")
    rec.append(tid, "dispatched", at(102 if emergency else 100), resource="desk-1",
               role="desk")


@pytest.fixture
def site_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    db = f"sqlite:///{tmp_path / 'site.sqlite'}"
    f = tmp_path / "bounds.toml"
    f.write_text(BOUNDS)
    assert main(["record", "--db", db, "site", "--tz", "Asia/Shanghai", "--control-points",
                 str(f), "--by", "admin"]) == 0
    capsys.readouterr()
    return db


def test_site_is_set_and_shown(site_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "--db", site_db, "site"]) == 0
    out = capsys.readouterr().out
    assert "time zone: Asia/Shanghai" in out
    assert "on_site [category engineering]: , 600" in out
    assert "on_site [emergency]: , 300" in out
    # changing only the zone keeps the bounds
    assert main(["record", "--db", site_db, "site", "--tz", "+08:00"]) == 0
    site = Recorder(site_db).site()
    assert site.time_zone == "+08:00" and site.control_points() is not None


def test_bad_site_settings_write_nothing(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    rec = Recorder(db)
    before = dump(rec.engine)
    with pytest.raises(RecorderError, match="Mars/Base"):
        rec.set_site(time_zone="Mars/Base")
    with pytest.raises(RecorderError, match=r"on_site.*lower_s 900.* exceeds"):
        rec.set_site(control_points={"on_site": {"lower_s": 900, "upper_s": 100}})
    assert dump(rec.engine) == before
    bad = tmp_path / "bad.toml"
    bad.write_text("[on_sight]\nupper_s = 1\n")
    assert main(["record", "--db", db, "site", "--control-points", str(bad)]) == 2
    assert "bad.toml: [on_sight]: unknown control point" in capsys.readouterr().err


def test_export_carries_zone_and_bounds(site_db: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rec = Recorder(site_db)
    _open(rec, "ORD")
    _open(rec, "EM", emergency=True)
    rec.append("ORD", "arrived", at(600), resource="eng-1", role="technician")  # 500 s
    rec.append("EM", "arrived", at(600), resource="eng-2", role="technician")   # 500 s
    assert main(["record", "--db", site_db, "export", str(tmp_path / "log")]) == 0
    man = json.loads((tmp_path / "log" / "manifest.json").read_text())
    assert man["kind"] == "observed" and man["time_zone"] == "Asia/Shanghai"
    assert man["control_points"]["on_site"] == {"lower_s": None, "upper_s": 900.0}
    assert man["control_point_overrides"]["on_site"] == {
        "category": {"engineering": {"lower_s": None, "upper_s": 600.0}},
        "emergency": {"lower_s": None, "upper_s": 300.0}}
    capsys.readouterr()
    assert main(["kpi", str(tmp_path / "log"), "--out", str(tmp_path / "kpi")]) == 0
    assert "UTC" not in capsys.readouterr().err  # the zone came with the log
    cp = pd.read_csv(tmp_path / "kpi" / "control_points.csv")
    on = cp[cp["control_point"] == "on_site"].set_index("ticket_id")
    assert (on.loc["ORD", "upper_s"], on.loc["ORD", "status"]) == (600.0, "met")
    assert (on.loc["EM", "upper_s"], on.loc["EM", "status"], on.loc["EM", "lateness_s"]) == (
        300.0, "breached", 200.0)
    per = pd.read_csv(tmp_path / "kpi" / "periods.csv")
    assert per["period_start"].iloc[0] == "2026-03-02 00:00:00+08:00"
    # and the exported log reads back with its manifest
    assert read_log(tmp_path / "log").manifest == man


def test_status_uses_site_bounds_and_local_time(site_db: str) -> None:
    rec = Recorder(site_db)
    _open(rec, "ORD")
    _open(rec, "EM", emergency=True)
    st = rec.status(at(350), margin_s=60).set_index(["ticket_id", "control_point"])
    # on-site clocks from 100 s: emergency deadline 100 + 300 = 400 s (50 s left at 350 s,
    # about to breach); engineering 100 + 600 = 700 s (350 s left, running)
    em, ordinary = st.loc[("EM", "on_site")], st.loc[("ORD", "on_site")]
    assert (em["state"], em["remaining_s"], em["upper_s"]) == ("about_to_breach", 50.0, 300.0)
    assert (ordinary["state"], ordinary["remaining_s"]) == ("running", 350.0)
    assert str(em["deadline"]) == "2026-03-02 16:06:40+08:00"  # 08:06:40 UTC, local
