"""What this board can do, found where the hardware is: radios, I2C devices, pins.

A role's needs are checked here, on the member, so the leader only needs the
list of roles each member can take (`fit`), never a model of its hardware.
"""

import gc


def _radios(declared):
    out = list(declared.get("radios") or ())
    try:
        import network

        if hasattr(network, "WLAN") and "wifi" not in out:
            out.append("wifi")
    except ImportError:
        pass
    try:
        import bluetooth  # noqa: F401

        if "ble" not in out:
            out.append("ble")
    except ImportError:
        pass
    return out


def _i2c_buses(cfg):
    """The buses /hm.json names; none by default: constructing a bus claims its pins,
    which a board may use for something else."""
    buses = cfg.get("i2c")
    return buses if type(buses) is list else ()


def _scan(machine, b):
    kw = {}
    for k in ("scl", "sda"):
        if k in b:
            kw[k] = machine.Pin(b[k])
    if "freq" in b:
        kw["freq"] = b["freq"]
    return machine.I2C(b.get("id", 0), **kw).scan()


def scan_i2c(cfg):
    """[[bus id, address], ...] of every device answering on the configured buses."""
    found: list = []
    try:
        import machine
    except ImportError:
        return found
    for b in _i2c_buses(cfg):
        bid = b.get("id", 0)
        for attempt in (0, 1):
            gc.collect()
            try:
                for a in _scan(machine, b):
                    found.append([bid, a])
                break
            except MemoryError:  # a fragmented heap: once more after a collection
                if attempt:
                    print("hm.group: I2C bus", bid, "not scanned: out of memory")
            except Exception as e:  # a bus this board lacks: nothing found there
                print("hm.group: I2C bus", bid, "not scanned:", repr(e))
                break
    return found


def has_pin(p):
    try:
        import machine

        machine.Pin(p)
        return True
    except Exception:
        return False


def detect(node, cfg):
    """caps(): board, radios, pins declared, I2C devices found, free heap."""
    declared = cfg.get("caps") or {}
    i2c = scan_i2c(cfg)
    for pair in declared.get("i2c") or ():
        if pair not in i2c:
            i2c.append(list(pair))
    gc.collect()
    return {"board": node.board, "radios": _radios(declared),
            "pins": list(declared.get("pins") or ()), "i2c": i2c, "heap": gc.mem_free()}


def _as_list(v):
    return v if type(v) is list else [v]


def _i2c_ok(need, found):
    addrs = [p[1] for p in found]
    for n in _as_list(need):
        if type(n) is list:
            if n not in found:
                return False
        elif n not in addrs:
            return False
    return True


def fits(role, caps, me):
    """Whether this member meets every need of role."""
    needs = role["needs"]
    for k in needs:
        v = needs[k]
        if k == "radio":
            if v is True:
                if not caps["radios"]:
                    return False
            else:
                for radio in _as_list(v):
                    if radio not in caps["radios"]:
                        return False
        elif k == "pin":
            declared = caps["pins"]
            for p in _as_list(v):
                if p not in declared and not has_pin(p):
                    return False
        elif k == "i2c":
            if not _i2c_ok(v, caps["i2c"]):
                return False
        elif k == "board":
            if caps["board"] not in _as_list(v):
                return False
        elif k == "member" and me not in _as_list(v):
            return False
    return True


def fit(spec, caps, me):
    """The roles of spec this member can take, in assignment order."""
    roles = spec["roles"]
    return [r for r in spec["order"] if fits(roles[r], caps, me)]
