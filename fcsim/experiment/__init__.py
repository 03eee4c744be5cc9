"""Experiments: many scenarios × replications from one root seed, on any executor.

Replication *i* uses the same random streams in every scenario (common random numbers); the
work runs on any ``concurrent.futures.Executor`` (a local process pool by default, or a Dask
``Client.get_executor()``) and gives identical results for any number of workers. Every KPI
gets a mean and a 95 % interval across replications; a manifest records scenarios, seeds and
versions.
"""

from fcsim.experiment.combine import combine_logs, concat_frames, merge_manifests
from fcsim.experiment.mainguard import MainGuardError, check_main_guard
from fcsim.experiment.manifest import experiment_manifest, versions, write_manifest
from fcsim.experiment.replications import replications_for_half_width, replications_table
from fcsim.experiment.runner import (
    ExperimentResult,
    Progress,
    TaskOutput,
    default_executor,
    run_experiment,
    run_task,
)
from fcsim.experiment.seeds import check_seed, replication_seed, replication_seeds
from fcsim.experiment.sweep import SweepResult, Variant, parse_vary, sweep, sweep_table, variants
from fcsim.experiment.warmup import (
    Mser5,
    WarmupRule,
    WholeWeeks,
    mser5_truncation,
    suggest_warmup,
    time_in_system_series,
    warmup_window,
)

__all__ = [
    "ExperimentResult",
    "MainGuardError",
    "Mser5",
    "Progress",
    "SweepResult",
    "TaskOutput",
    "Variant",
    "WarmupRule",
    "WholeWeeks",
    "check_main_guard",
    "check_seed",
    "combine_logs",
    "concat_frames",
    "default_executor",
    "experiment_manifest",
    "merge_manifests",
    "mser5_truncation",
    "parse_vary",
    "replication_seed",
    "replication_seeds",
    "replications_for_half_width",
    "replications_table",
    "run_experiment",
    "run_task",
    "suggest_warmup",
    "sweep",
    "sweep_table",
    "time_in_system_series",
    "variants",
    "versions",
    "warmup_window",
    "write_manifest",
]
