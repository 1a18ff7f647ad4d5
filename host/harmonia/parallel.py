"""The same work on several targets at once: one thread per target, progress by callback.

    outcomes = run_parallel(targets, work, on_event=show)   # work(target, progress) -> T
    sys.exit(exit_code(outcomes))

One target's failure never stops the others; each outcome holds its value or its error.
The library reports `Event`s and returns `Outcome`s; drawing rows is the CLI's job.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from .errors import HarmoniaError
from .targets import Target

T = TypeVar("T")

EventKind = Literal["start", "progress", "done", "failed"]


class Progress(Protocol):
    """What work calls to report: `progress("send", 1200, 64000, "12/30 files")`.
    Raises Cancelled once the run is cancelled, so work stops at its next report."""

    def __call__(self, stage: str, done: int = 0, total: int = 0, detail: str = "") -> None: ...


class Cancelled(HarmoniaError):
    """The run was cancelled (Ctrl-C) before this target finished."""


@dataclass(frozen=True)
class Event:
    target: Target
    kind: EventKind
    stage: str = ""
    done: int = 0
    total: int = 0
    detail: str = ""
    elapsed: float = 0.0


@dataclass(frozen=True)
class Outcome(Generic[T]):
    target: Target
    value: T | None
    error: str | None  # the one-line message a user reads
    error_type: str | None  # the exception's class name
    seconds: float
    traceback: str | None = None  # for errors that are not HarmoniaError: a bug

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self, value: Callable[[T], Any] | None = None) -> dict[str, Any]:
        return {
            "target": self.target.to_json(),
            "ok": self.ok,
            "error": self.error,
            "error_type": self.error_type,
            "seconds": round(self.seconds, 3),
            "result": value(self.value) if value and self.value is not None else None,
        }


Work = Callable[[Target, Progress], T]


class Run(Generic[T]):
    """A parallel run; `cancel()` from another thread stops work at its next report."""

    def __init__(
        self,
        targets: Sequence[Target],
        work: Work[T],
        on_event: Callable[[Event], None] | None = None,
        max_workers: int | None = None,
    ) -> None:
        self.targets = list(targets)
        self.work = work
        self.on_event = on_event
        self.max_workers = max_workers or max(1, len(self.targets))
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancel.set()

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            with self._lock:  # one renderer call at a time
                self.on_event(event)

    def _one(self, target: Target) -> Outcome[T]:
        started = time.monotonic()

        def progress(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
            if self._cancel.is_set():
                raise Cancelled(f"{target.name}: cancelled")
            self._emit(
                Event(target, "progress", stage, done, total, detail, time.monotonic() - started)
            )

        self._emit(Event(target, "start"))
        try:
            value = self.work(target, progress)
        except HarmoniaError as exc:
            outcome: Outcome[T] = Outcome(
                target, None, str(exc), type(exc).__name__, time.monotonic() - started
            )
        except Exception as exc:  # a bug: keep the traceback for --verbose
            outcome = Outcome(
                target,
                None,
                f"internal error: {type(exc).__name__}: {exc}",
                type(exc).__name__,
                time.monotonic() - started,
                traceback.format_exc(),
            )
        else:
            outcome = Outcome(target, value, None, None, time.monotonic() - started)
        self._emit(
            Event(
                target,
                "done" if outcome.ok else "failed",
                detail=outcome.error or "",
                elapsed=outcome.seconds,
            )
        )
        return outcome

    def run(self) -> list[Outcome[T]]:
        """Every target's outcome, in the order the targets were given."""
        if not self.targets:
            return []
        if len(self.targets) == 1:
            return [self._one(self.targets[0])]
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="harmonia-target") as pool:
            futures = [pool.submit(self._one, t) for t in self.targets]
            try:
                return [f.result() for f in futures]
            except BaseException:  # Ctrl-C: let every target stop at its next report
                self.cancel()
                raise


def run_parallel(
    targets: Sequence[Target],
    work: Work[T],
    *,
    on_event: Callable[[Event], None] | None = None,
    max_workers: int | None = None,
) -> list[Outcome[T]]:
    """Run `work(target, progress)` on every target at once; see Run."""
    return Run(targets, work, on_event, max_workers).run()


def exit_code(outcomes: Sequence[Outcome[Any]]) -> int:
    """0 when every target succeeded, else 1."""
    return 0 if all(o.ok for o in outcomes) else 1
