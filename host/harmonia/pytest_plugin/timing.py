"""Timing assertions that report what they measured.

    with within(5.0, "failover") as t:
        t.until(lambda: group.role_holder("fan") != old)   # poll until true, or fail
    print(t.elapsed)

A limit that is missed fails with the measured value ("failover took 6.214 s, limit
5 s"); every measurement is recorded on the test (JUnit XML properties, report section).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

Recorder = Callable[[str, float, float, bool], None]
_recorders: list[Recorder] = []  # set by the plugin while a test runs


@dataclass
class Timer:
    """A running measurement: `elapsed` so far (final once the block ends)."""

    what: str
    limit: float
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None
    last: Any = None  # what the last `until` poll returned

    @property
    def elapsed(self) -> float:
        return (self.stopped if self.stopped is not None else time.monotonic()) - self.started

    def until(self, predicate: Callable[[], T], poll: float = 0.02) -> T:
        """Call `predicate` until it returns something true, within the limit; that value.

        Exceptions from `predicate` count as "not yet" (a call to a board that is down).
        """
        error: BaseException | None = None
        while True:
            value: T | None
            try:
                value = predicate()
                error = None
            except Exception as exc:  # noqa: BLE001 - "not yet", reported if it lasts
                value, error = None, exc
            self.last = value if error is None else error
            if value:
                return value
            if self.elapsed > self.limit:
                self.stopped = time.monotonic()
                detail = f"; last error: {error!r}" if error is not None else f"; last: {value!r}"
                raise AssertionError(
                    f"{self.what} did not happen within {self.limit:g} s "
                    f"(waited {self.elapsed:.3f} s{detail})"
                )
            time.sleep(poll)


@contextmanager
def within(limit: float, what: str) -> Iterator[Timer]:
    """Measure the block; fail, naming the measured time, when it took longer than `limit`."""
    timer = Timer(what, limit)
    ok = False
    try:
        yield timer
        ok = True
    finally:
        if timer.stopped is None:
            timer.stopped = time.monotonic()
        for record in list(_recorders):
            record(what, timer.elapsed, limit, ok and timer.elapsed <= limit)
    if timer.elapsed > limit:
        raise AssertionError(f"{what} took {timer.elapsed:.3f} s, limit {limit:g} s")


def measure_until(predicate: Callable[[], T], timeout: float, what: str,
                  poll: float = 0.02) -> tuple[T, float]:
    """Wait for `predicate` to be true within `timeout`; (its value, seconds it took)."""
    with within(timeout, what) as timer:
        value = timer.until(predicate, poll)
    return value, timer.elapsed
