"""hm.app's set-up of a node from /hm.json: run once at start, then dropped from memory."""

import asyncio


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


async def start(cfg, log, bufs):
    """hm.app.start with its buffers (frame, COBS output, serial runs) made early."""
    frame, cobs_out, runs = bufs
    from hm import services
    from hm.bus.node import Node

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
    services.register(node)  # sys and bus
    if cfg.get("log_lines", 1):  # every node keeps its recent log lines unless told not to
        from hm.services import log as log_service

        log_service.register(node)
    addr = await _network(cfg, log)
    if addr is not None:
        from hm.bus.udp import UdpLink

        node.add_link(UdpLink(addr, cfg.get("port", 47770), cfg.get("mcast", "239.255.77.70")))
    specs = cfg.get("serial") or ()
    if specs:
        from hm.bus.serial import SerialLink, uart

        for i, spec in enumerate(specs):
            link = "serial:" + str(spec.get("uart", i))
            node.add_link(SerialLink(uart(spec), link, runs[i], cobs_out))
    for mod in cfg.get("services") or ():
        m = __import__(mod)
        for part in mod.split(".")[1:]:
            m = getattr(m, part)
        m.register(node)
    node.start()
    links = ", ".join(ln.name for ln in node.links)
    log(f"hm: node {name} id {node.id:08x} on {links}")
    return node
