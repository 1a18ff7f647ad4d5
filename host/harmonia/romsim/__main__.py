"""`python -m harmonia.romsim IMAGE`: serve a simulated chip until Ctrl-C, printing its port."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from .chips import CHIPS
from .server import RomSim


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m harmonia.romsim",
        description="A simulated ESP ROM serial loader backed by a flash image file.",
        epilog="example: python -m harmonia.romsim flash.bin --size 4 && "
        "esptool --port socket://127.0.0.1:PORT --before no-reset --no-stub flash-id",
    )
    parser.add_argument("image", type=Path, help="flash image file (created erased if missing)")
    parser.add_argument("--size", type=int, default=4, help="flash size in MB (default 4)")
    parser.add_argument("--chip", choices=sorted(CHIPS), default="esp32c3")
    parser.add_argument("--pty", action="store_true", help="serve on a pty instead of TCP")
    parser.add_argument("--tcp-port", type=int, default=0, help="TCP port (default: any free)")
    args = parser.parse_args()
    transport = "pty" if args.pty else "tcp"
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with RomSim(
        args.image, args.size << 20, chip=args.chip, transport=transport, tcp_port=args.tcp_port
    ) as sim:
        print(sim.port, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()


if __name__ == "__main__":
    main()
