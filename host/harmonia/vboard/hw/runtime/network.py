# mypy: ignore-errors
# `network` for a Harmonia virtual board. WLAN.connect() gives the board the
# address its host assigned ($HM_ADDR, default 127.0.0.1); the hub decides which
# networks are in range and records the state for the host to see.
# Constants follow the esp32 port.
import os

import _hw
from micropython import const

if not _hw.info["wifi"]:
    raise ImportError("no module named 'network'")  # a board without a radio

STA_IF = const(0)
AP_IF = const(1)

STAT_IDLE = const(1000)
STAT_CONNECTING = const(1001)
STAT_GOT_IP = const(1010)
STAT_BEACON_TIMEOUT = const(200)
STAT_NO_AP_FOUND = const(201)
STAT_WRONG_PASSWORD = const(202)
STAT_ASSOC_FAIL = const(203)
STAT_HANDSHAKE_TIMEOUT = const(204)

AUTH_OPEN = const(0)
AUTH_WEP = const(1)
AUTH_WPA_PSK = const(2)
AUTH_WPA2_PSK = const(3)
AUTH_WPA_WPA2_PSK = const(4)

PM_NONE = 0  # plain ints: WLAN repeats these names
PM_PERFORMANCE = 1
PM_POWERSAVE = 2

_ADDR = os.getenv("HM_ADDR") or "127.0.0.1"
_hostname = [_hw.info["name"]]


def _netinfo():
    if _ADDR.startswith("127."):
        return (_ADDR, "255.0.0.0", "127.0.0.1", "127.0.0.1")
    gw = _ADDR[: _ADDR.rindex(".")] + ".1"
    return (_ADDR, "255.255.255.0", gw, gw)


def hostname(name=None):
    if name is None:
        return _hostname[0]
    _hostname[0] = name


def country(code=None):
    return "XX" if code is None else None


class WLAN:
    IF_STA = 0
    IF_AP = 1
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, interface_id=STA_IF):
        if interface_id not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        self._if = interface_id

    def _call(self, action, args=None):
        args = args if args is not None else {}
        args["if"] = self._if
        args["do"] = action
        return _hw.call("wlan", args)

    def active(self, is_active=None):
        if is_active is None:
            return self._call("state")["active"]
        self._call("active", {"on": bool(is_active)})
        return bool(is_active)

    def connect(self, ssid=None, key=None, *, bssid=None):
        if self._if != STA_IF:
            raise OSError("AP can't connect")
        self._call("connect", {"ssid": ssid, "key": key, "addr": _ADDR})

    def disconnect(self):
        self._call("disconnect")

    def isconnected(self):
        return self._call("state")["connected"]

    def status(self, param=None):
        state = self._call("state")
        if param == "rssi":
            return state["rssi"]
        if param is not None:
            raise ValueError("unknown status param")
        return state["status"]

    def scan(self):
        return [
            (ssid.encode(), b"\x00\x00\x00\x00\x00\x00", 6, rssi, AUTH_WPA2_PSK, False)
            for ssid, rssi in self._call("scan")
        ]

    def ifconfig(self, cfg=None):
        if cfg is not None:
            raise OSError("the virtual board's address is set by its host")
        state = self._call("state")
        if self._if == STA_IF and not state["connected"]:
            return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
        return _netinfo()

    def ipconfig(self, *args, **kwargs):
        if kwargs:
            raise OSError("the virtual board's address is set by its host")
        info = self.ifconfig()
        values = {"addr4": (info[0], info[1]), "gw4": info[2], "dhcp4": True, "has_dhcp4": True}
        return values[args[0]]

    def config(self, *args, **kwargs):
        if kwargs:
            if "hostname" in kwargs:
                hostname(kwargs["hostname"])
            self._call("config", {"set": kwargs})
            return None
        key = args[0]
        if key == "mac":
            return bytes(_hw.info["mac"])
        if key == "hostname":
            return hostname()
        state = self._call("state")
        if key in ("ssid", "essid"):
            return state["ssid"] or ""
        if key in state["config"]:
            return state["config"][key]
        defaults = {"channel": 6, "txpower": 20, "reconnects": -1, "pm": PM_PERFORMANCE}
        if key in defaults:
            return defaults[key]
        raise ValueError("unknown config param")
