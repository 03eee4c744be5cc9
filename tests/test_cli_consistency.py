"""Everyday use is consistent: ``--out`` everywhere, one way to give a time zone, each
warning once, ``--version``, the total wall time, and a clear message for a script that starts
worker processes without a main guard."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import textwrap
import time
from datetime import timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from fcsim import __version__
from fcsim.cli import build_parser, main, setup_logging
from fcsim.cli._args import scenario_overrides
from fcsim.datasets import example_log, example_log_path
from fcsim.eventlog import read_log
from fcsim.kpi.zones import manifest_time_zone
from fcsim.scenarios import load_scenario

REPO = Path(__file__).resolve().parents[1]


def _leaves(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for name, sp in a.choices.items():
                yield from _leaves(sp, (*prefix, name))
            return
    yield prefix, parser


def _options(p: argparse.ArgumentParser) -> set[str]:
    return {o for a in p._actions for o in a.option_strings}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"fcsim {__version__}"


def test_every_command_that_writes_a_directory_takes_out() -> None:
    leaves = dict(_leaves(build_parser()))
    writers = [("run",), ("kpi",), ("calibrate",), ("compare",), ("replay",), ("sweep",),
               ("staff",), ("sensitivity",), ("record", "export")]
    for cmd in writers:
        assert "--out" in _options(leaves[cmd]), cmd
    # every command that simulates or reads local times takes --tz, with --utc-offset its alias
    zoned = [("run",), ("kpi",), ("calibrate",), ("compare",), ("replay",), ("sweep",),
             ("staff",), ("sensitivity",), ("record", "site"), ("serve",)]
    for cmd in zoned:
        assert {"--tz", "--utc-offset"} <= _options(leaves[cmd]), cmd


@pytest.mark.parametrize("given", ["1", "+01:00", "Europe/Amsterdam"])
def test_time_zone_forms_are_accepted_the_same_way(given: str) -> None:
    """``--utc-offset 1`` (what a TOML's ``utc_offset_h = 1`` says) is accepted like
    ``--tz``; an IANA name too."""
    p = build_parser()
    a = p.parse_args(["compare", "obs", "sim", "--out", "x", "--utc-offset", given])
    b = p.parse_args(["compare", "obs", "sim", "--out", "x", "--tz", given])
    assert a.tz == b.tz
    if given != "Europe/Amsterdam":
        assert a.tz.utcoffset(None) == timedelta(hours=1)
    r = p.parse_args(["run", "apartment", "--out", "x", "--utc-offset", given])
    sets = scenario_overrides(r, load_scenario("apartment"))
    assert sets[0].startswith("scenario.time_zone=")
    assert sets[1] == "scenario.start=2026-03-02T00:00:00"  # apartment.toml's local start
    assert p.parse_args(["run", "apartment", "--out", "x"]).tz is None


def test_a_simulation_runs_in_the_zone_given(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(["run", "mmc", "--days", "1", "--no-report", "--no-progress", "--tz", "-5",
                 "--out", str(out)]) == 0
    zone = manifest_time_zone(read_log(out).manifest, "mmc")
    assert zone is not None and zone.utcoffset(None) == timedelta(hours=-5)
    # the start keeps its local wall time (mmc.toml: Monday 2026-03-02 00:00), now at -05:00
    first = read_log(out).events["timestamp"].min()
    assert first >= pd.Timestamp("2026-03-02 05:00", tz="UTC")


def test_record_export_takes_out_and_keeps_the_positional_form(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["record", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    assert main([*db, "import", example_log_path()]) == 0
    assert main([*db, "export", "--out", str(tmp_path / "new")]) == 0
    assert "deprecated" not in capsys.readouterr().err
    ref = example_log()
    assert read_log(tmp_path / "new").tickets["ticket_id"].tolist() == \
        ref.tickets["ticket_id"].tolist()
    # the old positional form still works, with a warning naming the new one
    assert main([*db, "export", str(tmp_path / "old")]) == 0
    err = capsys.readouterr().err
    assert "deprecated" in err and "--out" in err
    assert read_log(tmp_path / "old").equals(read_log(tmp_path / "new"))
    # no directory, or two different ones: a clear error, nothing written
    assert main([*db, "export"]) == 2
    assert "fcsim record export --out DIR" in capsys.readouterr().err
    assert main([*db, "export", str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    assert "two output directories" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_each_warning_is_shown_once(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    level = root.level
    handler = setup_logging(verbose=False)
    try:
        log = logging.getLogger("fcsim.calibrate.test")
        for _ in range(3):
            log.warning("category %s: only %d durations", "help", 4)
        log.warning("another one")
        log.info("not shown without -v")
        err = capsys.readouterr().err
        assert err.count("warning: category help: only 4 durations") == 1
        assert err.count("warning: another one") == 1 and "not shown" not in err
        # a second call replaces the handler instead of adding one (no doubled lines)
        handler = setup_logging(verbose=False)
        log.warning("after the second call")
        assert capsys.readouterr().err.count("after the second call") == 1
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)


def test_run_summary_shows_the_total_wall_time(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    assert main(["run", "mmc", "--days", "1", "--no-report", "--no-progress",
                 "--out", str(tmp_path / "r")]) == 0
    wall = time.perf_counter() - t0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "in all (wall time)" in x)
    shown = float(line.split("s in all")[0].rsplit(",", 1)[1].strip().split()[0])
    sim = float(line.split("simulated in ")[1].split(" s")[0])
    assert sim <= shown <= wall + 0.05


_SCRIPT = """\
from fcsim.experiment import run_experiment
from fcsim.scenarios import load_scenario

{body}
"""


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "study.py"
    f.write_text(_SCRIPT.format(body=textwrap.dedent(body)), encoding="utf-8")
    return subprocess.run([sys.executable, str(f)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": ""})


def test_script_without_main_guard_fails_at_once_with_the_fix(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    r = _script(tmp_path, """\
        res = run_experiment([load_scenario("mmc")], seed=1, replications=2, days=1, workers=2)
        print("done", len(res.kpi.indicators))
    """)
    assert time.perf_counter() - t0 < 30
    assert r.returncode != 0 and "done" not in r.stdout
    assert "MainGuardError" in r.stderr and "BrokenProcessPool" not in r.stderr
    assert "if __name__ == \"__main__\":" in r.stderr and "line 4" in r.stderr


@pytest.mark.slow
def test_script_with_main_guard_runs(tmp_path: Path) -> None:
    r = _script(tmp_path, """\
        if __name__ == "__main__":
            res = run_experiment([load_scenario("mmc")], seed=1, replications=2, days=1,
                                 workers=2)
            print("done", res.kpi.indicators["replication"].nunique() >= 2)
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "done True" in r.stdout


def test_python_m_fcsim_runs_replications_in_worker_processes(tmp_path: Path) -> None:
    """``python -m fcsim`` runs ``fcsim/__main__.py``, which workers never import again: no
    main-guard error there."""
    r = subprocess.run([sys.executable, "-m", "fcsim", "run", "mmc", "-r", "2", "--days", "1",
                        "--no-report", "--no-progress", "--out", str(tmp_path / "r")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert r.returncode == 0, r.stderr[-2000:]
    assert read_log(tmp_path / "r").tickets["replication"].nunique() == 2


def test_unguarded_script_in_process_is_also_fine_without_workers(tmp_path: Path) -> None:
    r = _script(tmp_path, """\
        res = run_experiment([load_scenario("mmc")], seed=1, replications=2, days=1, workers=0)
        print("done")
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "done" in r.stdout


def test_plus_one_offset_is_not_refused() -> None:
    """The issue's case: ``--utc-offset 1`` used to be refused ("expected e.g. +08:00")."""
    ns = build_parser().parse_args(["calibrate", "log", "--out", "o", "--utc-offset", "1"])
    assert ns.tz.utcoffset(None) == timezone(timedelta(hours=1)).utcoffset(None)
