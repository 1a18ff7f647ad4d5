"""Collect MicroPython test modules (tests/firmware/mp_test_*.py) as pytest items.

Each `def test_*()` in such a module becomes one item. A module runs once, in one
real MicroPython process (`mp_runner.py`), which reports each function's outcome
as a JSON line; an item fails with the MicroPython traceback of its function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mp_harness import HERE, run_mp_module

from harmonia.paths import firmware_dir


class MicroPythonFailure(Exception):
    """A MicroPython test function raised."""


class MpModule(pytest.File):
    """One mp_test_*.py module: its test functions, run in one MicroPython process."""

    mp_path: tuple[Path | str, ...] = ()
    _results: tuple[dict[str, dict[str, str]], str] | None = None

    def collect(self):
        tree = ast.parse(self.path.read_text(), filename=str(self.path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield MpItem.from_parent(self, name=node.name)

    def results(self) -> tuple[dict[str, dict[str, str]], str]:
        if self._results is None:
            path = self.mp_path or (firmware_dir(), HERE)
            self._results = run_mp_module(self.path.stem, path)
        return self._results


class MpItem(pytest.Item):
    def runtest(self) -> None:
        results, output = self.parent.results()
        rec = results.get(self.name)
        if rec is None:
            raise MicroPythonFailure(f"{self.name} did not report (process output below)\n{output}")
        if rec["status"] != "ok":
            raise MicroPythonFailure(rec["traceback"])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return f"MicroPython: {self.parent.path.name}::{self.name}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.parent.path, None, f"{self.parent.path.name}::{self.name}"


def _is_mp_test(file_path: Path) -> bool:
    return file_path.suffix == ".py" and file_path.name.startswith("mp_test_")


def pytest_collect_file(parent, file_path: Path):
    # A file named on the command line goes through pytest_pycollect_makemodule instead.
    if _is_mp_test(file_path) and not parent.session.isinitpath(file_path):
        return MpModule.from_parent(parent, path=file_path)
    return None


def pytest_pycollect_makemodule(module_path: Path, parent):
    if _is_mp_test(module_path):
        return MpModule.from_parent(parent, path=module_path)
    return None
