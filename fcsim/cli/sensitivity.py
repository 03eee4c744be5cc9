"""``fcsim sensitivity SCENARIO``: which uncertain parameters move each KPI most (tornado).

Each uncertain parameter is set to its low and then its high value, everything else at base,
and every variant is simulated with the same replications (common random numbers), so each
effect is a paired difference with a 95 % t-interval. Parameters: ``--ranges FILE``
(``[uncertain.<name>] path, low, high``), ``--param PATH=LOW,HIGH`` (repeatable), else ± 20 %
(``--relative``) on occupancy, every category's rate and the clock-driving stage means.
Writes ``tornado.csv`` and one ``tornado_<kpi>.png`` per KPI with ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fcsim.cli._args import add_scenario_tz_argument, positive_int, scenario_overrides
from fcsim.cli._tables import text_width

__all__ = ["format_tornado", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sensitivity", help="tornado table of the uncertain parameters",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="a shipped scenario name or a TOML file")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="override a scenario field first (TOML syntax)")
    add_scenario_tz_argument(p)
    p.add_argument("--ranges", type=Path, default=None, help="TOML file of [uncertain.*]")
    p.add_argument("--param", action="append", default=[], metavar="PATH=LOW,HIGH",
                   help="an uncertain parameter (repeat)")
    p.add_argument("--relative", type=float, default=0.2, help="default ± relative range")
    p.add_argument("--kpi", action="append", default=[],
                   help="KPI to rank (repeat; default: the six indicators)")
    p.add_argument("--replications", "-r", type=positive_int, default=5)
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: CPU count; 0: no pool)")
    p.add_argument("--top", type=int, default=8, help="rows shown per KPI")
    p.add_argument("--lang", choices=("zh", "en"), default="en")
    p.add_argument("--out", type=Path, default=None, help="write tornado.csv and figures here")
    p.set_defaults(func=_run)


def _parse_param(text: str) -> tuple[str, float, float]:
    if "=" not in text or "," not in text.split("=", 1)[1]:
        raise ValueError(f"--param {text!r}: expected PATH=LOW,HIGH")
    path, rng = text.split("=", 1)
    lo, hi = rng.split(",", 1)
    try:
        return path.strip(), float(lo), float(hi)
    except ValueError:
        raise ValueError(f"--param {text!r}: LOW and HIGH must be numbers") from None


def format_tornado(table: pd.DataFrame, *, top: int = 8, lang: str = "en") -> str:
    """The tornado table as text, one block per KPI (largest swing first)."""
    out = []
    label = "label_zh" if lang == "zh" else "label_en"
    for kpi, rows in table.groupby("kpi", sort=False):
        rows = rows.head(top)
        base = rows["kpi_base"].iloc[0]
        out.append(f"\n{kpi} (base {base:.4g}):")
        cells = [["parameter", "low..high", "at low", "effect low [95 % CI]", "at high",
                  "effect high [95 % CI]", "swing"]]
        for r in rows.itertuples(index=False):
            cells.append([
                str(getattr(r, label)), f"{r.low:g}..{r.high:g}", f"{r.kpi_low:.4g}",
                f"{r.effect_low:+.4g} [{r.effect_low_ci_low:+.3g}, {r.effect_low_ci_high:+.3g}]",
                f"{r.kpi_high:.4g}",
                f"{r.effect_high:+.4g} [{r.effect_high_ci_low:+.3g}, "
                f"{r.effect_high_ci_high:+.3g}]", f"{r.swing:.4g}"])
        widths = [max(text_width(c[i]) for c in cells) for i in range(len(cells[0]))]
        for j, c in enumerate(cells):
            out.append("  ".join(x + " " * (w - text_width(x))
                                 for x, w in zip(c, widths, strict=True)))
            if j == 0:
                out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from fcsim.scenarios import apply_overrides, load_scenario
    from fcsim.staffing.sensitivity import (
        DEFAULT_KPIS,
        UncertainParameter,
        default_uncertain_parameters,
        load_uncertain_parameters,
        tornado_table,
    )

    scen = load_scenario(args.scenario)
    overrides = scenario_overrides(args, scen)
    if overrides:
        scen = apply_overrides(scen, overrides)
    params: list[UncertainParameter] = []
    if args.ranges is not None:
        params += load_uncertain_parameters(args.ranges, scen)
    for text in args.param:
        path, lo, hi = _parse_param(text)
        params.append(UncertainParameter(path, lo, hi))
    if not params:
        params = list(default_uncertain_parameters(scen, relative=args.relative))
    bar = tqdm(total=0, unit="replication", desc="sensitivity", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        table = tornado_table(scen, params, seed=args.seed, replications=args.replications,
                              days=args.days, kpis=args.kpi or DEFAULT_KPIS,
                              workers=args.workers, progress=progress)
    finally:
        bar.close()
    print(f"{len(params)} uncertain parameter(s), {2 * len(params) + 1} variants × "
          f"{args.replications} replication(s) of {args.days:g} days, seed {args.seed}")
    print(format_tornado(table, top=args.top, lang=args.lang))
    if args.out is not None:
        from fcsim.plotting.tornado import plot_tornado

        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "tornado.csv", index=False)
        for kpi in table["kpi"].unique():
            fig = plot_tornado(table, str(kpi), top=args.top, lang=args.lang)
            fig.savefig(args.out / f"tornado_{str(kpi).replace('.', '_')}.png", dpi=120)
        print(f"\ntornado.csv and figures → {args.out}")
    return 0
