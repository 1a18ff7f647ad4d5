"""Tagged JSON for test vectors (docs/protocol.md section 7).

>>> to_tagged({1: b"\\x00", "f": float("inf")})
{'$m': [[1, {'$b': '00'}], ['f', {'$f': 'inf'}]]}
>>> from_tagged({"$m": [[1, {"$b": "00"}]]})
{1: b'\\x00'}
"""

from __future__ import annotations

import math
from typing import Any

_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def to_tagged(value: object) -> Any:
    """A JSON-ready form of a payload value: bin, maps and special floats are tagged."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$f": "nan"}
        if math.isinf(value):
            return {"$f": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [to_tagged(item) for item in value]
    if isinstance(value, dict):
        return {"$m": [[to_tagged(k), to_tagged(v)] for k, v in value.items()]}
    raise TypeError(f"no tagged JSON form for {type(value).__name__}")


def from_tagged(value: Any) -> Any:
    """The payload value a tagged JSON value stands for."""
    if isinstance(value, list):
        return [from_tagged(item) for item in value]
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError(f"tagged JSON object needs exactly one tag: {value!r}")
        (tag, inner), = value.items()
        if tag == "$b":
            return bytes.fromhex(inner)
        if tag == "$f":
            return _SPECIAL[inner]
        if tag == "$m":
            return {from_tagged(k): from_tagged(v) for k, v in inner}
        raise ValueError(f"unknown tag {tag!r} in tagged JSON")
    return value
