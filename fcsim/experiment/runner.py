"""Running many scenarios × replications on any ``concurrent.futures.Executor``.

Each task is one (scenario, replication) pair: ``simulate(scenario, seed=root,
replication=i, days=days)`` in a worker, which returns the log's frames (picklable, with small
categorical codes) plus its process id and time. The default executor is a local
``ProcessPoolExecutor`` started with the ``forkserver`` method (``spawn`` where that is
missing); a Dask cluster is used through ``Client.get_executor()``. Whatever finishes first,
results are combined in task order (scenarios in the given order, replications ascending), so
the combined log, the KPI tables and the manifest are byte-identical for 1, 2 or N workers:
every random stream depends only on (root seed, replication), never on the worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fcsim.eventlog import EventLog, write_log
from fcsim.experiment.combine import combine_logs
from fcsim.experiment.mainguard import check_main_guard
from fcsim.experiment.manifest import experiment_manifest, write_manifest
from fcsim.experiment.seeds import check_seed
from fcsim.experiment.warmup import WarmupRule, warmup_window

if TYPE_CHECKING:
    from fcsim.kpi import KpiResult
    from fcsim.scenarios import Scenario

__all__ = ["ExperimentResult", "Progress", "TaskOutput", "default_executor", "run_experiment",
           "run_task"]

log = logging.getLogger(__name__)

#: ``progress(done, total)`` after each finished task (called in the calling process).
Progress = Callable[[int, int], None]

#: Modules the forkserver imports once, so that each worker starts warm.
_PRELOAD = ["fcsim.experiment.runner", "fcsim.sim", "fcsim.scenarios", "fcsim.eventlog"]


@dataclass(frozen=True)
class TaskOutput:
    """What a worker sends back for one (scenario, replication) task."""

    scenario: str
    replication: int
    events: pd.DataFrame
    tickets: pd.DataFrame
    manifest: dict[str, Any] | None
    pid: int
    seconds: float
    cpu_seconds: float

    def log(self) -> EventLog:
        """The task's event log (frames are already canonical)."""
        return EventLog(self.events, self.tickets, self.manifest)


def run_task(scenario: Scenario, seed: int, replication: int, days: float | None) -> TaskOutput:
    """Simulate one replication of one scenario (the function the workers run)."""
    from fcsim.sim import simulate

    t0, c0 = time.perf_counter(), time.process_time()
    lg = simulate(scenario, seed=seed, replication=replication, days=days)
    return TaskOutput(scenario.name, replication, lg.events, lg.tickets, lg.manifest,
                      os.getpid(), time.perf_counter() - t0, time.process_time() - c0)


def default_executor(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A local process pool (``forkserver``, else ``spawn``) with ``workers`` processes
    (default: the number of CPUs)."""
    n = workers or os.cpu_count() or 1
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(_PRELOAD)
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx)


@dataclass(frozen=True)
class ExperimentResult:
    """An experiment's outputs.

    Attributes
    ----------
    log
        The combined event log of every task in task order (``None`` with ``keep_logs=False``).
    kpi
        Control points, indicators (replication rows and scenario rows with a 95 % t interval)
        and periods over all scenarios and replications.
    manifest
        Scenarios, seeds, days, KPI window and versions (nothing executor-dependent).
    tasks
        One row per task: ``scenario``, ``replication``, ``pid``, ``seconds`` (wall),
        ``cpu_seconds``, ``events``, ``tickets`` (the only executor-dependent output; not
        written by :meth:`write`).
    """

    log: EventLog | None
    kpi: KpiResult
    manifest: dict[str, Any]
    tasks: pd.DataFrame

    def write(self, out_dir: str | Path, *, fmt: str = "csv.gz") -> Path:
        """Write ``manifest.json``, the KPI tables and (if kept) the log under ``log/``."""
        from fcsim.kpi import write_kpi

        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        if self.log is not None:
            write_log(self.log, d / "log", fmt=fmt)  # type: ignore[arg-type]
        write_kpi(self.kpi, d)
        write_manifest(self.manifest, d)
        return d


def _check(scenarios: Sequence[Scenario], replications: int, days: float | None) -> None:
    if not scenarios:
        raise ValueError("run_experiment needs at least one scenario")
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"scenario names must be unique in an experiment, repeated: {dup} "
                         "(rename a variant with scenario.name=...)")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")
    if days is not None and not (isinstance(days, int | float) and 0 < days < float("inf")):
        raise ValueError(f"days must be a positive number, got {days!r}")


def _execute(
    tasks: list[tuple[Scenario, int]],
    *,
    seed: int,
    days: float | None,
    executor: cf.Executor | None,
    workers: int | None,
    progress: Progress | None,
) -> list[TaskOutput]:
    total = len(tasks)
    out: list[TaskOutput | None] = [None] * total
    if executor is None and workers == 0:  # in this process, no pool
        for i, (scen, rep) in enumerate(tasks):
            try:
                out[i] = run_task(scen, seed, rep, days)
            except Exception as exc:
                raise RuntimeError(f"scenario {scen.name!r}, replication {rep}: "
                                   f"{type(exc).__name__}: {exc}") from exc
            if progress:
                progress(i + 1, total)
        return [o for o in out if o is not None]
    own = executor is None
    pool: cf.Executor
    if executor is None:
        check_main_guard()  # before any worker imports the script again
        pool = default_executor(min(workers or os.cpu_count() or 1, total))
    else:
        pool = executor
    try:
        futures = {pool.submit(run_task, scen, seed, rep, days): i
                   for i, (scen, rep) in enumerate(tasks)}
        done = 0
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                out[i] = fut.result()
            except Exception as exc:
                for f in futures:
                    f.cancel()
                scen, rep = tasks[i]
                hint = (" (a worker process died: if this runs from a script, is the call "
                        "under 'if __name__ == \"__main__\":'?)"
                        if isinstance(exc, cf.process.BrokenProcessPool) else "")
                raise RuntimeError(f"scenario {scen.name!r}, replication {rep}: "
                                   f"{type(exc).__name__}: {exc}{hint}") from exc
            done += 1
            if progress:
                progress(done, total)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return [o for o in out if o is not None]


def _start(outputs: Sequence[TaskOutput], log_: EventLog) -> pd.Timestamp:
    starts = []
    for o in outputs:
        window = (o.manifest or {}).get("window") or [(o.manifest or {}).get("start")]
        if window and window[0]:
            starts.append(pd.Timestamp(window[0]).tz_convert("UTC"))
    if starts:
        return min(starts)
    return pd.Timestamp(log_.events["timestamp"].min())


def run_experiment(
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    replications: int,
    days: float | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    keep_logs: bool = True,
    warmup: WarmupRule | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> ExperimentResult:
    """Simulate every scenario ``replications`` times from one root seed and evaluate the KPIs.

    Parameters
    ----------
    scenarios
        Scenarios with distinct names (variants: rename with ``scenario.name=...``).
    seed
        Root seed; replication *i* uses the same streams in every scenario (common random
        numbers).
    replications
        Replications per scenario.
    days
        Simulated days (``None``: each scenario's ``scenario.days``).
    executor
        Any ``concurrent.futures.Executor`` (e.g. a Dask ``Client.get_executor()``); it is
        not shut down. ``None``: a local process pool of ``workers`` processes, shut down at
        the end.
    workers
        Size of the default pool (``None``: the CPU count; ``0``: run in this process).
    progress
        ``progress(done, total)`` after each task (e.g. to drive a progress bar).
    keep_logs
        Keep the combined log in the result (``False`` frees it once the KPIs are computed).
    warmup
        A warm-up rule (:mod:`fcsim.experiment.warmup`) turned into the KPI window.
    manifest_extra
        Further manifest entries (e.g. a sweep's variants).

    Returns
    -------
    ExperimentResult
        Identical (log, KPI tables, manifest) for any executor and number of workers.
    """
    from fcsim.kpi import evaluate

    seed = check_seed(seed)
    _check(scenarios, replications, days)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 0):
        raise ValueError(f"workers must be a non-negative integer or None, got {workers!r}")
    tasks = [(s, r) for s in scenarios for r in range(replications)]
    outputs = _execute(tasks, seed=seed, days=days, executor=executor, workers=workers,
                       progress=progress)
    combined = combine_logs([o.log() for o in outputs])
    start = _start(outputs, combined)
    task_table = pd.DataFrame({
        "scenario": [o.scenario for o in outputs],
        "replication": [o.replication for o in outputs],
        "pid": [o.pid for o in outputs],
        "seconds": [o.seconds for o in outputs],
        "cpu_seconds": [o.cpu_seconds for o in outputs],
        "events": [len(o.events) for o in outputs],
        "tickets": [len(o.tickets) for o in outputs],
    })
    del outputs  # the combined log holds the rows now
    window = warmup_window(warmup, combined, start=start)
    manifest = {**(combined.manifest or {}),
                **experiment_manifest(scenarios, seed=seed, replications=replications,
                                      days=days, extra=manifest_extra)}
    manifest["start"] = start.isoformat()
    manifest["warmup"] = None if warmup is None else warmup.describe()
    manifest["kpi_window"] = [None if w is None else w.isoformat() for w in window]
    combined = EventLog(combined.events, combined.tickets, manifest)
    kpi = evaluate(combined, window=None if window == (None, None) else window)
    log.info("experiment: %d tasks on %d process(es)", len(task_table),
             task_table["pid"].nunique())
    return ExperimentResult(combined if keep_logs else None, kpi, manifest, task_table)
