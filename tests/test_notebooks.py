"""The notebooks in ``notebooks/`` run from a clean kernel, fast, and check what they show.

Each notebook is stored without outputs, reads its scenario from files, calls the library only
and ends with a cell of assertions about what it showed; here it is executed with ``nbclient``
(working directory ``notebooks/``) under a time limit.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import DATA, need

try:
    import nbclient
    import nbformat
except ImportError:  # pragma: no cover - in the test extra
    nbclient = nbformat = None

NEED_NB = "nbclient, nbformat and ipykernel are needed (pip install -e '.[test]')"

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Notebook -> needs the shared real logs.
CASES = {
    "01_staffing_scenarios.ipynb": False,
    "02_observed_vs_simulated.ipynb": True,
    "03_bottlenecks_for_trainers.ipynb": False,
}
LIMIT_S = 120.0


def _read(name: str):  # -> nbformat.NotebookNode
    need(nbformat is not None and nbclient is not None, NEED_NB)
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_every_notebook_is_listed() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_is_stored_clean(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    for c in code:
        assert c.get("outputs") == [] and c.get("execution_count") is None, (name, c.source[:60])
    # the last cell asserts what the notebook showed
    assert code[-1] is nb.cells[-1]
    assert code[-1].source.count("assert ") >= 3
    # the library only, scenarios from files
    src = "\n".join(c.source for c in code)
    assert "load_scenario(" in src and ".toml" in src
    for banned in ("import matplotlib", "import simpy", "from matplotlib", "from simpy"):
        assert banned not in src, (name, banned)
    # bilingual headings: every heading has CJK characters and Latin letters
    for c in nb.cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("#"):
                    assert any("\u4e00" <= ch <= "\u9fff" for ch in line), line
                    assert any("a" <= ch.lower() <= "z" for ch in line), line


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs(name: str) -> None:
    if CASES[name]:
        need(DATA.is_dir() and (DATA / "helpdesk_4tu_finale.csv.gz").is_file(),
             f"shared data not found at {DATA}")
    nb = _read(name)
    client = nbclient.NotebookClient(nb, timeout=int(LIMIT_S), kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    assert elapsed < LIMIT_S, f"{name} took {elapsed:.0f} s"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    last = nb.cells[-1].outputs
    assert any(o.output_type == "stream" and "checked" in o.text for o in last), last


@pytest.mark.slow
def test_notebook_02_without_the_data_says_what_to_set(tmp_path: Path, monkeypatch) -> None:
    """No shared data: the first cell stops with a message naming ``FCSIM_DATA`` and how to
    set it, shown without a traceback."""
    nb = _read("02_observed_vs_simulated.ipynb")
    monkeypatch.setenv("FCSIM_DATA", str(tmp_path))  # an empty directory
    client = nbclient.NotebookClient(nb, timeout=int(LIMIT_S), kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for o in code[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "SharedDataMissing"
    shown = "\n".join(errors[0].traceback)
    assert "FCSIM_DATA" in shown and str(tmp_path) in shown and "make lab" in shown
    assert "Traceback" not in shown and 'File "' not in shown and "---->" not in shown
    assert all(c.get("execution_count") is None for c in code[1:])  # nothing ran after it
