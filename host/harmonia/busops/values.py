"""Bus values (MessagePack) to JSON and back, for command lines and `--json` output.

Plain JSON where it fits; what JSON cannot say is tagged as in the test vectors
(docs/protocol.md section 7): bytes `{"$b": "hex"}`, NaN and infinities `{"$f": "inf"}`,
maps with keys other than strings `{"$m": [[key, value], ...]}`.

>>> to_json({"raw": b"\\x01", 2: 3.5})
{'$m': [['raw', {'$b': '01'}], [2, 3.5]]}
>>> from_json({"$b": "ff"})
b'\\xff'
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..codec.tagged import from_tagged
from .errors import BadArgument

_TAGS = ("$b", "$f", "$m")


def to_json(value: Any) -> Any:
    """A value JSON can encode, plain where possible."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$f": "nan"}
        if math.isinf(value):
            return {"$f": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": bytes(value).hex()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        plain = all(isinstance(k, str) for k in value) and not (
            len(value) == 1 and next(iter(value)) in _TAGS
        )
        if plain:
            return {k: to_json(v) for k, v in value.items()}
        return {"$m": [[to_json(k), to_json(v)] for k, v in value.items()]}
    return repr(value)


def from_json(value: Any) -> Any:
    """The bus value a JSON value stands for (tags decoded)."""
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _TAGS:
            return from_tagged(value)
        return {k: from_json(v) for k, v in value.items()}
    return value


def parse_args(texts: list[str]) -> list[Any]:
    """Call arguments from command-line words, each one JSON value."""
    values = []
    for i, text in enumerate(texts, 1):
        try:
            values.append(from_json(json.loads(text)))
        except (ValueError, KeyError) as exc:
            hint = f"quote a string as '\"{text}\"'" if text[:1] not in '[{"' else str(exc)
            raise BadArgument(
                f'argument {i} ({text!r}) is not a JSON value: {hint}; bytes are {{"$b": "hex"}}'
            ) from None
    return values


def to_text(value: Any) -> str:
    """A value as one compact line for tables: strings bare, None as -, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "-"
    if isinstance(value, list | tuple) and all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        return ", ".join(str(v) for v in value) if value else "-"
    return json.dumps(to_json(value), separators=(",", ":"))
