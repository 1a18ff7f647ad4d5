"""CRC, identifiers, tagged JSON, error classes and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmonia.codec import (
    ERRORS,
    CodecError,
    ReservedIdError,
    crc16,
    from_tagged,
    ident,
    same_value,
    to_tagged,
)
from harmonia.errors import HarmoniaError

MODULES = [
    "harmonia.codec",
    "harmonia.codec.cobs",
    "harmonia.codec.crc",
    "harmonia.codec.frame",
    "harmonia.codec.header",
    "harmonia.codec.ids",
    "harmonia.codec.payload",
    "harmonia.codec.tagged",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


def bitwise_crc(data: bytes) -> int:
    """The CRC straight from its definition, one bit at a time."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


@given(st.binary(max_size=300))
def test_crc_matches_the_definition(data: bytes) -> None:
    assert crc16(data) == bitwise_crc(data)


@given(st.binary(), st.binary())
def test_crc_continues_across_chunks(a: bytes, b: bytes) -> None:
    assert crc16(b, crc16(a)) == crc16(a + b)


@given(st.binary())
def test_crc_of_data_and_its_crc_is_zero(data: bytes) -> None:
    assert crc16(data + crc16(data).to_bytes(2, "big")) == 0


def test_ident_is_crc_of_utf8_name() -> None:
    assert ident("sys") == crc16(b"sys") == 0xB1F1
    assert ident("héllo") == crc16("héllo".encode())


def test_name_hashing_to_zero_is_refused() -> None:
    assert crc16(b"fjqo") == 0
    with pytest.raises(ReservedIdError, match="rename"):
        ident("fjqo")


def test_error_classes_share_the_roots() -> None:
    assert set(ERRORS) == {
        "TruncatedError",
        "CrcError",
        "CobsError",
        "VersionError",
        "LengthError",
        "DepthError",
        "OversizeError",
        "MalformedError",
        "UnsupportedError",
    }
    for cls in [*ERRORS.values(), ReservedIdError]:
        assert issubclass(cls, CodecError) and issubclass(cls, HarmoniaError)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text()
    | st.binary(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.integers() | st.text() | st.binary(), inner, max_size=4)
    ),
    max_leaves=15,
)


@given(json_values)
def test_tagged_json_round_trip(value: Any) -> None:
    text = json.dumps(to_tagged(value), allow_nan=False)
    assert same_value(from_tagged(json.loads(text)), value)


def test_tagged_forms() -> None:
    assert to_tagged([b"\x01", -math.inf, {}]) == [{"$b": "01"}, {"$f": "-inf"}, {"$m": []}]
    assert math.isnan(from_tagged({"$f": "nan"}))
    with pytest.raises(TypeError):
        to_tagged(object())
    with pytest.raises(ValueError):
        from_tagged({"$x": 1})


def test_same_value_is_strict_about_types_and_floats() -> None:
    assert not same_value(1, 1.0) and not same_value(1, True)
    assert not same_value(0.0, -0.0) and same_value(math.nan, math.nan)
    assert not same_value({1: 2, 3: 4}, {3: 4, 1: 2})
