"""The Helpdesk (4TU) log: calibrated, the model runs as written, depends on its staff, and is
validated on a period it has not seen.

The log is imported through the recorder's importer (``fcsim/recorder/mappings/helpdesk.toml``):
it records completions only (no ``started_at``), its ``received`` is synthesised (the record
clock is not measurable, and the manifest says so) and it has no callback or record-accuracy
facts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fcsim.calibrate import NO_STARTED_AT, calibrate
from fcsim.calibrate.passes import cycle_times
from fcsim.cli import main
from fcsim.compare import unfinished_at_horizon
from fcsim.eventlog import write_log
from fcsim.recorder import Recorder
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.sim import simulate


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import DATA, need

    need(DATA.is_dir() and any(DATA.glob("*.csv.gz")), f"shared data not found at {DATA}")
    shared_data = DATA
    d = tmp_path_factory.mktemp("helpdesk")
    rec = Recorder(f"sqlite:///{d / 'h.sqlite'}")
    rec.import_log(shared_data / "helpdesk_4tu_finale.csv.gz", "helpdesk")
    write_log(rec.export(), d / "log")
    rec.close_connections()
    return d / "log"


@pytest.mark.slow
def test_calibrated_helpdesk_runs_as_written_and_depends_on_its_staff(helpdesk: Path) -> None:
    from fcsim.eventlog import read_log

    obs = read_log(helpdesk)
    cal = calibrate(obs, load_scenario("apartment"), name="helpdesk")
    assert NO_STARTED_AT in cal.warnings
    sc = cal.scenario
    assert sc.scenario.time_zone == "Europe/Rome"  # the log's own zone, from its manifest
    desk = sc.staff["desk"].hourly(on_call=False)
    assert min(desk) == max(desk) >= 2  # estimated, round the clock
    assert "offered load" in cal.toml
    log = simulate(sc, seed=1)
    u = unfinished_at_horizon(log)
    assert u.n_never_closed / u.n_tickets <= 0.05  # >= 95 % of its tickets finish
    # not a replay of observed cycle times: half the desk lengthens the cycle time (same
    # arrivals and draws)
    half = apply_overrides(sc, [f"staff.desk.shifts=[{{start_h=0,end_h=24,count="
                                f"{max(1, desk[0] // 2)}}}]"])
    full_ct = cycle_times(log)["cycle_min"].mean()
    half_ct = cycle_times(simulate(half, seed=1))["cycle_min"].mean()
    assert half_ct > 1.2 * full_ct


@pytest.mark.slow
def test_helpdesk_validate_reports_the_goals(helpdesk: Path, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    rc = main(["validate", str(helpdesk), "--train", "2010-01-01", "2012-09-01", "--test",
               "2012-09-01", "2014-01-04", "-r", "10", "--workers", "1", "--out",
               str(tmp_path / "v")])
    assert rc == 0
    assert time.perf_counter() - t0 < 8 * 60
    s = json.loads((tmp_path / "v" / "summary.json").read_text())
    assert s["n_measurable"] >= 3 and 0 <= s["inside_share"] <= 1
    assert 0 < s["cycle_time_ks"] < 1
    assert s["observed_test_tickets"] > 500 and s["training_tickets"] > 3000
