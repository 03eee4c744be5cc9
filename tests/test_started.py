"""A process started in its creator's step behaves as SimPy's own, one event sooner."""

from __future__ import annotations

from typing import Any

import simpy

from fcsim.sim.started import StartedProcess


def test_first_step_runs_in_the_creating_step_and_the_rest_as_a_process() -> None:
    env = simpy.Environment()
    seen: list[tuple[str, float, Any]] = []

    def child(name: str) -> Any:
        seen.append((f"{name} starts", env.now, env.active_process))
        yield env.timeout(2.0)
        seen.append((f"{name} ends", env.now, None))
        return name.upper()

    def parent() -> Any:
        yield env.timeout(1.0)
        proc = StartedProcess(env, child("a"))
        # the child ran up to its first yield, and the parent is the active process again
        seen.append(("parent goes on", env.now, env.active_process))
        value = yield proc  # its end is an event like any process's
        seen.append((f"parent got {value}", env.now, None))

    top = env.process(parent())
    env.run()
    assert [(what, when) for what, when, _ in seen] == [
        ("a starts", 1.0), ("parent goes on", 1.0), ("a ends", 3.0), ("parent got A", 3.0)]
    assert seen[0][2] is not top and isinstance(seen[0][2], StartedProcess)
    assert seen[1][2] is top


def test_one_event_fewer_and_interruptible() -> None:
    def run(start: Any) -> tuple[int, list[str]]:
        env = simpy.Environment()
        log: list[str] = []

        def worker() -> Any:
            try:
                yield env.timeout(5.0)
                log.append("done")
            except simpy.Interrupt as stop:
                log.append(f"interrupted at {env.now} by {stop.cause}")

        def boss() -> Any:
            yield env.timeout(1.0)
            w = start(env, worker())
            yield env.timeout(1.0)
            w.interrupt("emergency")

        env.process(boss())
        steps = 0
        while env.peek() != simpy.core.Infinity:
            env.step()
            steps += 1
        return steps, log

    simpy_steps, simpy_log = run(lambda env, g: env.process(g))
    started_steps, started_log = run(StartedProcess)
    assert simpy_log == started_log == ["interrupted at 2.0 by emergency"]
    assert started_steps == simpy_steps - 1  # no Initialize event


def test_a_parked_process_schedules_no_end_and_is_freed_with_its_last_reference() -> None:
    import gc
    import weakref

    from fcsim.sim.started import PARKED

    class Token:
        pass

    def run(park: bool) -> tuple[int, list[str], Any]:
        env = simpy.Environment()
        log: list[str] = []
        token = Token()
        ref = weakref.ref(token)

        def worker(held: Token) -> Any:
            yield env.timeout(1.0)
            log.append(f"done at {env.now}")
            if park:
                yield PARKED

        StartedProcess(env, worker(token))
        del token
        steps = 0
        while env.peek() != simpy.core.Infinity:
            env.step()
            steps += 1
        return steps, log, ref

    gc.disable()  # freed by reference counting alone: no cycle is left behind
    try:
        plain_steps, plain_log, _ = run(False)
        parked_steps, parked_log, ref = run(True)
        assert ref() is None
    finally:
        gc.enable()
    assert plain_log == parked_log == ["done at 1.0"]
    assert parked_steps == plain_steps - 1  # no end-of-process event
