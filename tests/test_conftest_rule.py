"""The skip-or-fail rule: absent prerequisites skip locally and fail under CI=true."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    here = Path(__file__).resolve().parent
    (tmp_path / "conftest.py").write_text((here / "conftest.py").read_text())
    (tmp_path / "test_absent.py").write_text(textwrap.dedent("""
        from conftest import need
        def test_needs_missing():
            need(False, "the moon is absent")
    """))
    env = {"PATH": "/usr/bin:/bin", "CI": ci, "PYTHONPATH": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path)


def test_absent_prerequisite_skips_locally(tmp_path: Path) -> None:
    r = _run(tmp_path, "false")
    assert "1 skipped" in r.stdout, r.stdout


def test_absent_prerequisite_fails_under_ci(tmp_path: Path) -> None:
    r = _run(tmp_path, "true")
    assert r.returncode == 1 and "1 failed" in r.stdout, r.stdout
    assert "the moon is absent" in r.stdout
