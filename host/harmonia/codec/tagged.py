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
        ((tag, inner),) = value.items()
        if tag == "$b":
            return bytes.fromhex(inner)
        if tag == "$f":
            return _SPECIAL[inner]
        if tag == "$m":
            return {from_tagged(k): from_tagged(v) for k, v in inner}
        raise ValueError(f"unknown tag {tag!r} in tagged JSON")
    return value


def same_value(a: object, b: object) -> bool:
    """Equal as payload values: types must match (1 is not 1.0 nor True), NaN equals NaN,
    -0.0 differs from 0.0, and maps compare in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(
            same_value(ka, kb) and same_value(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    return a == b
