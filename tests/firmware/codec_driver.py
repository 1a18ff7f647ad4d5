# Runs on MicroPython: drives the board codec for the host's cross-implementation tests.
# One request per stdin line, one answer per stdout line: "OK <result>" or "ERR <Class>".
#   U <hex>       unpack a payload            -> exact JSON of the value
#   P <xjson>     pack a value                -> hex
#   F <hex>       decode a frame              -> [ver,type,flags,seq,src,dst,svc,mth,xval,auth]
#   E <json>      encode [type,flags,seq,src,dst,svc,mth,xval,auth] -> hex
#   C <hex>       COBS-encode                 -> hex (with the delimiter)
#   D <hex>       COBS-decode a run           -> hex
# Exact JSON ("xjson") keeps every value bit for bit: null/true/false and ints as JSON,
# {"d": float64 bits hex}, {"s": utf-8 hex}, {"b": hex}, lists as arrays,
# {"m": [[k, v], ...]} for maps (OrderedDict on the way in, so key order is kept).
import json
import struct
import sys
from collections import OrderedDict

from hm.codec import cobs, frame, mpack
from hm.codec.errors import CodecError

_BUF = bytearray(frame.MAX_FRAME + 64)
_ENC = bytearray(cobs.max_encoded(frame.MAX_FRAME + 64))


def to_x(v):
    t = type(v)
    if t is float:
        return {"d": struct.pack(">d", v).hex()}
    if t is str:
        return {"s": v.encode().hex()}
    if t is bytes:
        return {"b": v.hex()}
    if t is list:
        return [to_x(x) for x in v]
    if isinstance(v, dict):
        return {"m": [[to_x(k), to_x(v[k])] for k in v]}
    return v


def from_x(j):
    if type(j) is list:
        return [from_x(x) for x in j]
    if type(j) is dict:
        if "d" in j:
            return struct.unpack(">d", bytes.fromhex(j["d"]))[0]
        if "s" in j:
            return str(bytes.fromhex(j["s"]), "utf-8")
        if "b" in j:
            return bytes.fromhex(j["b"])
        m = OrderedDict()
        for k, v in j["m"]:
            m[from_x(k)] = from_x(v)
        return m
    return j


def handle(cmd, arg):
    if cmd == "U":
        return json.dumps(to_x(mpack.unpack(bytes.fromhex(arg))))
    if cmd == "P":
        return mpack.pack(from_x(json.loads(arg))).hex()
    if cmd == "F":
        data = bytes.fromhex(arg)
        d = frame.decode(data, len(data))
        out = list(d[:8])
        out.append(to_x(d[8]))
        out.append(None if d[9] is None else d[9].hex())
        return json.dumps(out)
    if cmd == "E":
        a = json.loads(arg)
        auth = None if a[8] is None else bytes.fromhex(a[8])
        n = frame.encode_into(_BUF, a[0], a[1], a[2], a[3], a[4], a[5], a[6], from_x(a[7]), auth)
        return bytes(_BUF[:n]).hex()
    if cmd == "C":
        data = bytes.fromhex(arg)
        n = cobs.encode_into(data, len(data), _ENC)
        return bytes(_ENC[:n]).hex()
    if cmd == "D":
        data = bytes.fromhex(arg)
        n = cobs.decode_into(data, len(data), _BUF)
        return bytes(_BUF[:n]).hex()
    raise ValueError("unknown command")


def main():
    while True:
        line = sys.stdin.readline()
        if not line or line.startswith("Q"):
            return
        line = line.rstrip("\n")
        try:
            out = "OK " + handle(line[0], line[2:])
        except CodecError as e:
            out = "ERR " + type(e).__name__
        except Exception as e:  # noqa: BLE001 - reported to the host, which fails the test
            out = "BUG " + type(e).__name__ + " " + str(e)
        sys.stdout.write(out + "\n")


main()
