"""The codec as a board gets it: compiled to x64 .mpy files (viper and native code
included), loaded by the unix port with no .py source of `hm` on the path, and run
against the shared vectors and the zero-allocation and 32-bit checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from mp_harness import HERE, mp_env, run_mp_module

from harmonia.paths import firmware_dir, micropython_exe

CODEC_FILES = [
    "hm/__init__.py",
    *(f"hm/codec/{p.name}" for p in sorted((firmware_dir() / "hm" / "codec").glob("*.py"))),
]


def _compile_x64(out: Path) -> Path:
    """Compile hm/ and hm/codec/ only (not the rest of firmware/) to out/x64/."""
    src = out / "src"
    for rel in CODEC_FILES:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(firmware_dir() / rel, src / rel)
    try:
        from harmonia.build import build_firmware
    except ImportError:  # the build library is optional here: call mpy-cross directly
        for rel in CODEC_FILES:
            dst = out / "x64" / Path(rel).with_suffix(".mpy")
            dst.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    shutil.which("mpy-cross") or "mpy-cross",
                    "-march=x64",
                    "-o",
                    str(dst),
                    str(src / rel),
                ],
                check=True,
            )
    else:
        build_firmware(out, ["x64"], source_dir=src)
    return out / "x64"


@pytest.fixture(scope="module")
def mpy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compile_x64(tmp_path_factory.mktemp("mpy"))


def test_tree_holds_only_compiled_files(mpy_tree: Path) -> None:
    files = sorted(p.relative_to(mpy_tree).as_posix() for p in mpy_tree.rglob("*.*"))
    assert files == sorted(str(Path(rel).with_suffix(".mpy")) for rel in CODEC_FILES)


def test_modules_load_from_mpy(mpy_tree: Path) -> None:
    script = (
        "from hm.codec import cobs, crc, frame, mpack, shape\n"
        "for m in (cobs, crc, frame, mpack, shape):\n"
        "    print(m.__file__)\n"
    )
    proc = subprocess.run(
        [micropython_exe(), "-c", script], env=mp_env(mpy_tree), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert len(loaded) == 5 and all(f.endswith(".mpy") for f in loaded), loaded


@pytest.mark.parametrize("module", ["mp_test_vectors", "mp_test_alloc", "mp_test_edges32"])
def test_mpy_build_passes(mpy_tree: Path, module: str) -> None:
    results, output = run_mp_module(module, (mpy_tree, HERE))
    assert results, f"{module} reported nothing:\n{output}"
    failed = {name: r["traceback"] for name, r in results.items() if r["status"] != "ok"}
    assert not failed, "\n".join(f"{name}:\n{tb}" for name, tb in failed.items())
