"""The benchmarks run in quick mode (they must work; their timings are never asserted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, KPI_EXAMPLES, need

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "benchmarks").glob("bench_*.py"))
#: What a benchmark needs besides the Python extras: (present?, what is missing).
NEEDS = {
    "bench_import": (lambda: DATA.is_dir(), f"the shared logs at {DATA}"),
    "bench_kpi": (lambda: KPI_EXAMPLES.is_dir(), f"the KPI test vectors at {KPI_EXAMPLES}"),
    "bench_instructions": (lambda: shutil.which("valgrind") is not None,
                           "valgrind (apt-get install valgrind)"),
}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_runs_in_quick_mode(script: Path) -> None:
    present, what = NEEDS.get(script.stem, (lambda: True, ""))
    need(present(), f"{script.name} needs {what}")
    r = subprocess.run([sys.executable, str(script), "--quick"], cwd=REPO,
                       capture_output=True, text=True, timeout=590)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    result = REPO / "benchmarks" / "results" / f"{script.stem.removeprefix('bench_')}.json"
    assert result.exists(), f"{script.name} wrote no {result.name}"
    data = json.loads(result.read_text())
    assert data, "empty benchmark result"
