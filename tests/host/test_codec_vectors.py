"""The host codec against every shared vector in tests/vectors/ (protocol.md section 7)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from harmonia.codec import (
    ERRORS,
    Header,
    cobs,
    crc16,
    decode_frame,
    encode_frame,
    from_tagged,
    pack,
    same_value,
    to_tagged,
    unpack,
)
from harmonia.codec.payload import decode_unchecked

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


def cases(name: str, kind: str) -> list[Any]:
    """Vectors of one file, split into valid ones and error ones, with readable ids."""
    chosen = [v for v in load(name) if ("error" in v) == (kind == "error")]
    return [pytest.param(v, id=v["name"]) for v in chosen]


def test_vector_names_are_unique_and_errors_known() -> None:
    for name in ("crc.json", "cobs.json", "payloads.json", "frames.json"):
        vectors = load(name)
        names = [v["name"] for v in vectors]
        assert len(names) == len(set(names)), name
        for v in vectors:
            if "error" in v:
                assert v["error"] in ERRORS


def test_committed_vectors_match_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("vector_generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


@pytest.mark.parametrize("vector", cases("crc.json", "ok"))
def test_crc_vector(vector: dict[str, Any]) -> None:
    assert crc16(bytes.fromhex(vector["data"])) == vector["crc"]


@pytest.mark.parametrize("vector", cases("cobs.json", "ok"))
def test_cobs_vector_encodes_and_decodes(vector: dict[str, Any]) -> None:
    raw, encoded = bytes.fromhex(vector["raw"]), bytes.fromhex(vector["encoded"])
    assert cobs.encode(raw) == encoded
    assert cobs.decode(encoded) == raw
    assert cobs.decode(encoded[:-1]) == raw


@pytest.mark.parametrize("vector", cases("cobs.json", "error"))
def test_cobs_vector_error(vector: dict[str, Any]) -> None:
    with pytest.raises(ERRORS[vector["error"]]):
        cobs.decode(bytes.fromhex(vector["encoded"]))


@pytest.mark.parametrize("vector", cases("payloads.json", "ok"))
def test_payload_vector_decodes(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    value = from_tagged(vector["value"])
    assert same_value(unpack(data), value)
    assert to_tagged(unpack(data)) == vector["value"] or vector["value"] != vector["value"]
    if vector["canonical"]:
        assert pack(value) == data


@pytest.mark.parametrize("vector", cases("payloads.json", "error"))
def test_payload_vector_error(vector: dict[str, Any]) -> None:
    with pytest.raises(ERRORS[vector["error"]]):
        unpack(bytes.fromhex(vector["hex"]))


# Classes only the structural scan gives, and vectors pinning its reading order;
# msgpack alone sees other symptoms there. It also decodes the timestamp ext
# (-1) itself, never calling ext_hook.
SCAN_ONLY = {"LengthError", "DepthError", "OversizeError"}


def _msgpack_agrees(vector: dict[str, Any]) -> bool:
    name = vector["name"]
    return vector["error"] not in SCAN_ONLY and "before" not in name and "timestamp" not in name


@pytest.mark.parametrize(
    "vector", [p for p in cases("payloads.json", "error") if _msgpack_agrees(p.values[0])]
)
def test_msgpack_errors_map_to_the_same_class(vector: dict[str, Any]) -> None:
    """Without the pre-scan, msgpack's own exceptions still map to the spec's classes."""
    with pytest.raises(ERRORS[vector["error"]]):
        decode_unchecked(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", cases("frames.json", "ok"))
def test_frame_vector(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    header = Header(**vector["header"])
    auth = None if vector["auth"] is None else bytes.fromhex(vector["auth"])
    payload = from_tagged(vector["payload"])
    frame = decode_frame(data)
    assert frame.header == header
    assert frame.auth == auth
    assert same_value(frame.payload, payload)
    assert encode_frame(header, payload, auth) == data


@pytest.mark.parametrize("vector", cases("frames.json", "error"))
def test_frame_vector_error(vector: dict[str, Any]) -> None:
    with pytest.raises(ERRORS[vector["error"]]):
        decode_frame(bytes.fromhex(vector["hex"]))


def test_every_error_class_has_a_vector() -> None:
    seen = {
        v["error"]
        for f in ("cobs.json", "payloads.json", "frames.json")
        for v in load(f)
        if "error" in v
    }
    assert seen == set(ERRORS)
