"""Each test's board consoles, bus trace and timings, attached to its report.

They become report sections titled `Captured stdout: <what>`, which pytest prints for a
failed test (and for passed ones with -rP), and which JUnit XML writes into `system-out`
when `junit_logging` is `system-out` or `all`; with pytest-html they are also extras.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from .context import Hil

SHOWN = 20000  # characters of a console or trace in the report; the log files hold all


def sections(hil: Hil) -> list[tuple[str, str]]:
    """(title, text) for every board console, the bus trace and the timings."""
    found: list[tuple[str, str]] = []
    for board in hil.boards:
        text = _clip(board.console_text(), hil, f"{board.name}.console.txt")
        found.append((f"{board.name} console ({board.where})", text or "(no output)"))
    bus = hil.bus_opened
    if bus is not None:
        found.append(("bus trace", _clip(bus.trace.text(), hil, "bus-trace.txt")))
    for name, trace in hil.traces.items():
        found.append((name, _clip(trace.text(), hil, f"{name.replace(' ', '-')}.txt")))
    if hil.timings:
        lines = [f"{what}: {elapsed:.3f} s (limit {limit:g} s){'' if ok else '  MISSED'}"
                 for what, elapsed, limit, ok in hil.timings]
        found.append(("timings", "\n".join(lines)))
    return found


def _clip(text: str, hil: Hil, name: str) -> str:
    if len(text) <= SHOWN:
        return text
    return (f"(first {len(text) - SHOWN} characters left out; all of it: {hil.logdir / name})\n"
            + text[-SHOWN:])


def attach(item: pytest.Item, when: str, found: list[tuple[str, str]]) -> None:
    """Add the sections to the test item before its report is made: the report of this
    phase shows them, and the teardown report (which JUnit XML reads) carries them too."""
    for title, text in found:
        item.add_report_section(when, f"stdout: {title}", text + "\n")


def html_extras(report: Any, found: list[tuple[str, str]]) -> None:
    """The same sections as pytest-html extras, when that plugin runs."""
    try:
        from pytest_html import extras  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    current = list(getattr(report, "extras", []))
    for title, text in found:
        current.append(extras.text(text, name=title))
    report.extras = current
