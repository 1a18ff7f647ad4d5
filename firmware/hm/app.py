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

CONFIG = "/hm.json"


def load(path=CONFIG):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return {}


def _uid(cfg):
    try:
        import machine

        return machine.unique_id()
    except (ImportError, AttributeError):  # a port without unique_id: the name stands in
        return (cfg.get("uid") or cfg.get("name") or "hm").encode()


async def _network(cfg, log):
    """The address to bind: from config, else Wi-Fi; None when the board has no radio."""
    if cfg.get("udp") is False:
        return None
    if cfg.get("address"):
        return cfg["address"]
    try:
        import network
    except ImportError:
        log("hm: no network module: serial links only")
        return None
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    wifi = cfg.get("wifi") or {}
    if not wlan.isconnected():
        wlan.connect(wifi.get("ssid"), wifi.get("key"))
        for _ in range(200):
            if wlan.isconnected():
                break
            await asyncio.sleep_ms(50)
        else:
            log("hm: Wi-Fi did not connect; the bus starts on serial links only")
            return None
    addr = wlan.ifconfig()[0]
    return addr if addr.startswith("127.") else "0.0.0.0"


def _serial(spec):
    def opener():
        import machine

        kw = {}
        for k in ("tx", "rx"):
            if k in spec:
                kw[k] = spec[k]
        return machine.UART(spec.get("uart", 1), spec.get("baud", 921600), **kw)

    return opener


async def start(cfg, log=print):
    """Build the node from a config dict, register the services, start the links."""
    # The large buffers first, while the heap is still in one piece (imports fragment it).
    gc.collect()
    frame = bytearray(4097)
    specs = cfg.get("serial") or ()
    cobs_out = bytearray(4116) if specs else None
    runs = [bytearray(4114) for _ in specs]
    from hm.bus.node import Node
    from hm.services import bus as bus_service
    from hm.services import sys as sys_service

    name = cfg.get("name") or "board"
    node = Node(
        name,
        _uid(cfg),
        key=cfg.get("group_key") or cfg.get("key"),
        board=cfg.get("board") or "",
        group=cfg.get("group") or "",
        rate=cfg.get("rate", 20000),
        burst=cfg.get("burst", 2000),
        max_request=cfg.get("max_request", 4059),
        bridge=cfg.get("bridge", True),
        log=log,
        buf=frame,
    )
    node.cfg = cfg
    sys_service.register(node)
    bus_service.register(node)
    if cfg.get("log_lines", 1):  # every node keeps its recent log lines unless told not to
        from hm.services import log as log_service

        log_service.register(node)
    addr = await _network(cfg, log)
    if addr is not None:
        from hm.bus.udp import UdpLink

        node.add_link(UdpLink(addr, cfg.get("port", 47770), cfg.get("mcast", "239.255.77.70")))
    if specs:
        from hm.bus.serial import SerialLink

        for i, spec in enumerate(specs):
            name = "serial:" + str(spec.get("uart", i))
            node.add_link(SerialLink(_serial(spec), name, runs[i], cobs_out))
    for mod in cfg.get("services") or ():
        m = __import__(mod)
        for part in mod.split(".")[1:]:
            m = getattr(m, part)
        m.register(node)
    node.start()
    gc.collect()
    links = ", ".join(ln.name for ln in node.links)
    log(f"hm: node {name} id {node.id:08x} on {links}")
    return node


async def _main(cfg):
    await start(cfg)
    while True:
        await asyncio.sleep(3600)


def main(path=CONFIG):
    asyncio.run(_main(load(path)))
