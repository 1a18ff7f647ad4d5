"""Firmware build: every source compiles for every board arch, and a bad file is named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harmonia import boards, build, paths
from harmonia.cli import main


def _firmware(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


VIPER = """\
import micropython


@micropython.viper
def add(a: int, b: int) -> int:
    return a + b
"""


def test_build_compiles_every_source_for_every_arch(tmp_path: Path) -> None:
    result = build.build_firmware(tmp_path / "out")
    sources = build.find_sources(paths.firmware_dir())
    assert sources, "firmware/ has no .py files"
    assert set(result.archs) == boards.archs()
    for march in result.archs:
        built = {f.source for f in result.for_arch(march)}
        assert built == set(sources)
        for src in sources:
            mpy = tmp_path / "out" / march / src.with_suffix(".mpy")
            assert mpy.read_bytes()[:1] == b"M"  # the .mpy magic
        assert result.total_size(march) == sum(f.size for f in result.for_arch(march))
        assert all(f.size == f.output.stat().st_size > 0 for f in result.for_arch(march))


def test_viper_code_compiles_for_each_arch(tmp_path: Path) -> None:
    src = _firmware(tmp_path / "fw", {"hm/__init__.py": "", "hm/fast.py": VIPER})
    result = build.build_firmware(tmp_path / "out", source_dir=src)
    assert len(result.files) == 2 * len(boards.archs())


def test_excluded_top_level_folders_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _firmware(tmp_path / "fw", {"hm/__init__.py": "", "hm/lib/x.py": "",
                                      "lib/busio.py": "", "main.py": ""})
    assert [p.as_posix() for p in build.find_sources(src, ("lib",))] == [
        "hm/__init__.py", "hm/lib/x.py", "main.py"]
    monkeypatch.setenv("HARMONIA_CACHE", str(tmp_path / "cache"))
    whole = build.cached_build("x64", src)
    framework = build.cached_build("x64", src, exclude=(build.BOARD_LIB,))
    assert whole != framework
    assert (whole / "lib" / "busio.mpy").is_file()
    assert not (framework / "lib").exists() and (framework / "hm" / "lib" / "x.mpy").is_file()


def test_build_for_one_arch_only(tmp_path: Path) -> None:
    src = _firmware(tmp_path / "fw", {"hm/__init__.py": "x = 1\n"})
    result = build.build_firmware(tmp_path / "out", ["armv6m"], source_dir=src)
    assert result.archs == ("armv6m",)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["armv6m"]


def test_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    src = _firmware(tmp_path / "fw", {"hm/ok.py": "x = 1\n", "hm/bad.py": "x = 1\ndef f(:\n"})
    with pytest.raises(build.BuildError) as info:
        build.build_firmware(tmp_path / "out", source_dir=src)
    message = str(info.value)
    assert f"{src / 'hm' / 'bad.py'}:2: SyntaxError" in message
    assert "ok.py" not in message


def test_viper_type_error_names_the_file(tmp_path: Path) -> None:
    bad = VIPER.replace("a + b", "a + 'b'")
    src = _firmware(tmp_path / "fw", {"hm/fast.py": bad})
    with pytest.raises(build.BuildError, match=r"fast\.py:\d+: ViperTypeError"):
        build.build_firmware(tmp_path / "out", ["rv32imc"], source_dir=src)


def test_unknown_arch_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(build.BuildError, match="no board uses arch xtensa: choose from armv6m"):
        build.build_firmware(tmp_path / "out", ["xtensa"])


def test_rebuild_removes_outputs_of_deleted_sources(tmp_path: Path) -> None:
    src = _firmware(tmp_path / "fw", {"hm/a.py": "", "hm/old/b.py": ""})
    build.build_firmware(tmp_path / "out", ["x64"], source_dir=src)
    (src / "hm" / "old" / "b.py").unlink()
    build.build_firmware(tmp_path / "out", ["x64"], source_dir=src)
    left = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*"))
    assert left == ["x64", "x64/hm", "x64/hm/a.mpy"]


def test_x64_build_imports_on_the_unix_port(tmp_path: Path) -> None:
    src = _firmware(tmp_path / "fw", {"hm/__init__.py": "", "hm/fast.py": VIPER})
    build.build_firmware(tmp_path / "out", ["x64"], source_dir=src)
    proc = subprocess.run(
        [paths.micropython_exe(), "-c", "from hm.fast import add; print(add(2, 3))"],
        env={"MICROPYPATH": str(tmp_path / "out" / "x64")},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert proc.stdout.strip() == "5", proc.stderr


def test_cli_build_json_lists_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--arch", "x64", "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    files = report["archs"]["x64"]["files"]
    assert {f["source"] for f in files} == {
        p.as_posix() for p in build.find_sources(paths.firmware_dir())
    }


def test_cli_build_error_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARMONIA_FIRMWARE", str(_firmware(tmp_path / "fw", {"x.py": "(\n"})))
    assert main(["build", "--arch", "x64", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("harmonia: error: ") and "x.py:" in err and "\n" not in err


def test_cli_boards_json_has_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["boards", "--json"]) == 0
    names = [b["name"] for b in json.loads(capsys.readouterr().out)]
    assert names == [p.name for p in boards.list_profiles()]
