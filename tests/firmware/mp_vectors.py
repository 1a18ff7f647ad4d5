# MicroPython helpers for the shared vectors (docs/protocol.md section 7):
# load a vector file, turn tagged JSON into values, compare values strictly.
import json
import os
from collections import OrderedDict

from hm.codec import errors

_DIR = os.getenv("HM_VECTORS") or "tests/vectors"
_SPECIAL = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def load(name):
    with open(_DIR + "/" + name + ".json") as f:
        return json.load(f)


def unhex(s):
    return bytes.fromhex(s)


def error_class(name):
    return getattr(errors, name)


def from_tagged(j):
    """Value for tagged JSON; maps become OrderedDict so their key order survives."""
    if type(j) is list:
        return [from_tagged(x) for x in j]
    if type(j) is dict:
        if "$b" in j:
            return unhex(j["$b"])
        if "$f" in j:
            return _SPECIAL[j["$f"]]
        if "$m" in j:
            m = OrderedDict()
            for k, v in j["$m"]:
                m[from_tagged(k)] = from_tagged(v)
            return m
        raise ValueError("unknown tag")
    return j


def _isnan(x):
    return x != x


def _sign(x):
    # copysign is not on every port: the sign bit of the float64 encoding.
    import struct

    return struct.pack(">d", x)[0] >> 7


def same(a, b):
    """Equal as payload values: same types (1 is not 1.0 nor True), NaN == NaN,
    -0.0 != 0.0, maps equal as key->value sets."""
    ta = type(a)
    tb = type(b)
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        return all(k in b and same(a[k], b[k]) for k in a)
    if ta is not tb:
        return False
    if ta is float:
        if _isnan(a) or _isnan(b):
            return _isnan(a) and _isnan(b)
        return a == b and _sign(a) == _sign(b)
    if ta is list or ta is tuple:
        return len(a) == len(b) and all(same(a[i], b[i]) for i in range(len(a)))
    return a == b


def expect_error(cls, fn, *args):
    """Call fn(*args) and check it raises exactly cls (not merely a CodecError)."""
    try:
        r = fn(*args)
    except errors.CodecError as e:
        if type(e) is not cls:
            got = type(e).__name__ + ": " + str(e)
            raise AssertionError("expected " + cls.__name__ + ", got " + got) from None
        return e
    raise AssertionError("expected " + cls.__name__ + ", got result " + repr(r)[:80])


def check_all(items, fn):
    """Run fn on every item; collect failures so one run reports them all."""
    bad = []
    for it in items:
        try:
            fn(it)
        except Exception as e:  # noqa: BLE001 - collected and reported together
            bad.append(it.get("name", "?") + ": " + type(e).__name__ + " " + str(e))
    if bad:
        head = str(len(bad)) + " of " + str(len(items)) + " failed:\n"
        raise AssertionError(head + "\n".join(bad))
    return len(items)
