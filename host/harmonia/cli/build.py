"""`harmonia build`: compile the firmware with mpy-cross for the boards' architectures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import paths
from ..build import BuildResult, build_firmware


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "build",
        help="compile firmware/ to .mpy for every board architecture",
        description="Compile every .py under firmware/ with mpy-cross, once per -march that "
        "a board in boards/ names, into OUT/<march>/.",
    )
    parser.add_argument(
        "--arch",
        action="append",
        metavar="MARCH",
        help="build only this -march (repeatable; default: every arch a board names)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.repo_root() / "build" / "mpy",
        metavar="DIR",
        help="output directory (default: build/mpy in the checkout)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = build_firmware(args.out, args.arch)
    if args.json:
        print(json.dumps(_as_json(result), indent=2))
        return 0
    for march in result.archs:
        files = result.for_arch(march)
        print(
            f"{march:<10} {len(files):>4} files {result.total_size(march):>9,} bytes"
            f"  {result.out_dir / march}"
        )
        if args.verbose:
            for f in files:
                print(f"    {f.size:>9,}  {f.source.with_suffix('.mpy').as_posix()}")
    return 0


def _as_json(result: BuildResult) -> dict[str, object]:
    return {
        "out_dir": str(result.out_dir),
        "archs": {
            march: {
                "dir": str(result.out_dir / march),
                "total_size": result.total_size(march),
                "files": [
                    {"source": f.source.as_posix(), "output": str(f.output), "size": f.size}
                    for f in result.for_arch(march)
                ],
            }
            for march in result.archs
        },
    }
