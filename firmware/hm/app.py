"""The board's entry point: read /hm.json, bring up the network, run the bus.

    import hm.app
    hm.app.main()            # from main.py

/hm.json keys (all optional): name, board, group, group_key (64 hex digits;
none means open mode), port (47770), mcast ("239.255.77.70"), wifi {ssid,
key}, address (skip Wi-Fi and use this address), udp (false: serial only),
serial [{uart, baud, tx, rx}], bridge (true), services (module names, each
with register(node)), rate and burst (frames/s and bucket per peer),
max_request (bytes), log_lines (the `log` service's ring, 32; 0: no log service).
"""

import asyncio
import gc
import json
import sys

CONFIG = "/hm.json"


def load(path=CONFIG):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return {}


async def start(cfg, log=print):
    """Build the node from a config dict, register the services, start the links."""
    # The large buffers first, while the heap is still in one piece (imports fragment it).
    gc.collect()
    specs = cfg.get("serial") or ()
    bufs = (bytearray(4097), bytearray(4116) if specs else None, [bytearray(4114) for _ in specs])
    import hm
    from hm import _boot

    try:
        return await _boot.start(cfg, log, bufs)
    finally:  # set-up code runs once: its memory goes back to the heap
        del sys.modules["hm._boot"]
        del hm._boot
        gc.collect()


async def _main(cfg):
    await start(cfg)
    while True:
        await asyncio.sleep(3600)


def main(path=CONFIG):
    asyncio.run(_main(load(path)))
