"""mypy: the host package under pyproject's config, firmware/ under each board's stubs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harmonia import paths

TYPECHECK = paths.repo_root() / "tools" / "typecheck"
STUB_SETS = ("esp32c3", "rp2")  # the sets tools/setup installs

VIPER_MODULE = """\
import micropython
from micropython import const

_MASK = const(0xFF)


@micropython.viper
def fill(buf: ptr8, n: int, v: int) -> None:
    for i in range(n):
        buf[i] = v & _MASK


@micropython.viper
def total(buf, n: int) -> uint:
    p = ptr8(buf)
    s = 0
    for i in range(n):
        s += p[i]
    return uint(s)


@micropython.native
def twice(x: int) -> int:
    return 2 * x


def use() -> int:
    b = bytearray(8)
    fill(b, 8, 1)
    fill(memoryview(b)[2:], 4, 2)
    return int(total(b, 8)) + twice(1)
"""


def _typecheck(*targets: str, firmware: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if firmware is not None:
        env["HARMONIA_FIRMWARE"] = str(firmware)
    return subprocess.run(
        [str(TYPECHECK), *targets],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    if proc.returncode != 0:
        pytest.fail(f"mypy found errors:\n{proc.stdout}{proc.stderr}", pytrace=False)


@pytest.mark.parametrize("stubs", STUB_SETS)
def test_firmware_type_checks_against_board_stubs(stubs: str) -> None:
    _assert_clean(_typecheck(stubs))


def test_host_package_type_checks() -> None:
    _assert_clean(_typecheck("host"))


@pytest.mark.parametrize("stubs", STUB_SETS)
def test_viper_code_passes_and_a_real_error_is_reported(tmp_path: Path, stubs: str) -> None:
    package = tmp_path / "hm"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fast.py").write_text(VIPER_MODULE)
    _assert_clean(_typecheck(stubs, firmware=tmp_path))
    bad = VIPER_MODULE + '\n\ndef bad() -> None:\n    fill("x", 1, 1)\n'
    (package / "fast.py").write_text(bad)
    proc = _typecheck(stubs, firmware=tmp_path)
    assert proc.returncode == 1
    line = len(bad.splitlines())
    assert f'fast.py:{line}: error: Argument 1 to "fill" has incompatible type "str"' in proc.stdout


def test_unknown_stub_set_is_refused_naming_the_known_ones() -> None:
    proc = _typecheck("esp8266")
    assert proc.returncode == 1
    assert "no stub set .stubs/esp8266: run tools/setup" in proc.stderr
