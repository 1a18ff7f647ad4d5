"""`harmonia flash`: MicroPython, the framework and the board's config onto one board."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ..flash import BoardConfig, FlashConfig, FlashResult, flash

EXAMPLES = """\
examples:
  harmonia flash --board esp32-c3-devkitm-1 --port /dev/ttyUSB0 \\
      --firmware ESP32_GENERIC_C3-20250415-v1.25.0.bin --name kitchen --wifi 'MyNet:secret'
  harmonia flash --board esp32-c3-devkitm-1 --firmware fw.bin   # no --port: a virtual board
  harmonia flash --board rpi-pico-w --firmware RPI_PICO_W.uf2 --repl-port /dev/ttyACM0
      # UF2 onto the BOOTSEL drive, then the framework over the REPL once it reboots

With no --port the target is a virtual board, named like --name (else the profile):
a simulated ESP32-C3 ROM loader on loopback, backed by that virtual board's whole flash
(rom.bin in its directory under HARMONIA_STATE_DIR, default ~/.local/state/harmonia/
vboards/NAME/). The written filesystem region becomes the board's flash.img, which it
boots from; a running virtual board is reset onto it. Firmware given by name, or not at
all, is looked up in the local cache (HARMONIA_FIRMWARE_CACHE, default
~/.cache/harmonia/firmware); nothing is downloaded.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "flash",
        help="flash MicroPython, the framework and the board's config onto a board",
        description="Write the MicroPython firmware and a littlefs image holding the compiled "
        "framework and /hm.json (name, group key, Wi-Fi) to a board, then verify by MD5. "
        "ESP32 boards go through esptool and the ROM loader; RP2 boards take a UF2 on "
        "their BOOTSEL drive.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--board", required=True, metavar="PROFILE", help="board profile name")
    parser.add_argument(
        "--port",
        metavar="P",
        help="serial port, socket://HOST:PORT, or BOOTSEL drive (default: a virtual board)",
    )
    parser.add_argument(
        "--firmware",
        type=Path,
        metavar="FILE",
        help="MicroPython image (.bin for ESP32, .uf2 for RP2); default: the cache's newest",
    )
    parser.add_argument("--name", metavar="N", help="the board's node name, in /hm.json")
    parser.add_argument(
        "--group-key", metavar="HEX", help="32-byte group key as 64 hex digits, in /hm.json"
    )
    parser.add_argument("--wifi", metavar="SSID:KEY", help="Wi-Fi credentials, in /hm.json")
    parser.add_argument(
        "--baud", type=int, default=460800, help="baud rate after the sync (default 460800)"
    )
    parser.add_argument(
        "--before",
        choices=("default-reset", "usb-reset", "no-reset"),
        default="default-reset",
        help="how to put the chip in its loader (ptys and sockets: no-reset)",
    )
    parser.add_argument(
        "--after",
        choices=("hard-reset", "no-reset"),
        default="hard-reset",
        help="reset into the new firmware, or stay in the loader",
    )
    parser.add_argument("--cache", type=Path, metavar="DIR", help="firmware cache directory")
    parser.add_argument(
        "--virtual-dir",
        type=Path,
        metavar="DIR",
        help="virtual boards' state directory (no --port)",
    )
    parser.add_argument("--no-compress", action="store_true", help="send the data uncompressed")
    parser.add_argument(
        "--repl-port",
        metavar="P",
        help="RP2: the board's REPL port after the reboot; the framework goes on over it",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="show esptool's log")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    board = BoardConfig.parse(args.name, args.group_key, args.wifi)
    config = FlashConfig(
        board=board,
        baud=args.baud,
        before=args.before,
        after=args.after,
        compress=not args.no_compress,
        virtual_dir=args.virtual_dir,
        repl_port=args.repl_port,
    )
    if args.cache is not None:
        config = replace(config, cache_dir=args.cache)
    bar = ProgressBar(sys.stderr)
    try:
        result = flash(args.board, args.port, args.firmware, config=config, progress=bar.update)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    _print(result, args.verbose)
    return 0


def _print(result: FlashResult, verbose: bool) -> None:
    if verbose:
        for line in result.log:
            print(f"  esptool: {line}")
    where = f"virtual board {result.virtual_board}" if result.virtual_board else result.port
    print(f"flashed {result.board} ({result.chip}) on {where} in {result.seconds:.1f} s")
    for region in result.regions:
        print(
            f"  {region.name:<11} {region.offset:#08x}  {region.size:>10,} bytes  "
            f"md5 {region.md5}  verified"
        )
    if result.files:
        mpy = sum(1 for f in result.files if f.endswith(".mpy"))
        print(f"  filesystem holds {len(result.files)} files: /hm.json and {mpy} framework .mpy")
    if result.image is not None:
        print(f"  virtual board filesystem: {result.image}")
    if result.next_step:
        print(f"next: {result.next_step}")


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal; one line per stage otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.stage = ""
        self.last = (0, 0)
        self.started = time.monotonic()

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._finish_stage()
            self.stage = stage
            self.started = time.monotonic()
        self.last = (done, total)
        if self.tty:
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def _line(self) -> str:
        done, total = self.last
        fraction = done / total if total else 1.0
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        return f"{self.stage:<11} [{bar}] {fraction:6.1%}  {done:,}/{total:,}"

    def _finish_stage(self) -> None:
        if not self.stage:
            return
        seconds = time.monotonic() - self.started
        self.stream.write(("\r" if self.tty else "") + f"{self._line()}  {seconds:.1f} s\n")
        self.stream.flush()

    def close(self) -> None:
        self._finish_stage()
        self.stage = ""
