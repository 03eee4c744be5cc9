"""The README's notebook example runs as written (smaller sizes) and the CLI table it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    code = blocks[0].replace("replications=10, days=28)", "replications=2, days=3, workers=0)")
    assert "workers=0" in code
    ns: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), ns)
    table = ns["res"].kpi.indicators.query("level == 'scenario'")  # type: ignore[attr-defined]
    assert set(table["scenario"].astype(str)) == {"apartment", "apartment-evening"}
    assert len(table) == 12


def test_readme_shows_the_two_setup_commands_and_the_figure() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    figure = re.search(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert figure and (README.parent / figure.group(1)).is_file()
