"""Rosters of people under labour rules, verified and repaired by simulation (``fcsim roster``).

:mod:`~fcsim.roster.people` (staff with contracts), :mod:`~fcsim.roster.rules` (the labour
rules, each switchable), :mod:`~fcsim.roster.problem` (the problem and its answer),
:mod:`~fcsim.roster.build` / :mod:`~fcsim.roster.relax` / :mod:`~fcsim.roster.linear` /
:mod:`~fcsim.roster.solve` (the integer program, HiGHS or CP-SAT), :mod:`~fcsim.roster.check`
(the rules re-checked from ``roster.csv`` alone), :mod:`~fcsim.roster.scenario` (between a
scenario and a roster), :mod:`~fcsim.roster.weeks` (simulated weeks and their breaches),
:mod:`~fcsim.roster.loop` (simulation in the loop), :mod:`~fcsim.roster.reach` (why a target is
out of reach), :mod:`~fcsim.roster.outputs` and :mod:`~fcsim.roster.report` (the files and the
report sections). Import from the modules: several pull in the simulator. See ``docs/roster.md``.
"""

__all__: list[str] = []
