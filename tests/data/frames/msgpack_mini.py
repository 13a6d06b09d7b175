"""msgpack_mini.py: the little msgpack the bad-frames corpus needs.

A complete encoder for the values of the wire protocol (lib/protocol.h):
None, bool, int, float, str, bytes, list/tuple, dict and Ext, plus Raw,
bytes spliced in as they are, which is how the corpus writes things no
correct encoder would (a map32 header declaring four billion entries, a
str holding invalid UTF-8).  A decoder for what the listener answers
(welcome, ack, error) and for reading recordings back.  Stdlib only; no
third-party msgpack module is assumed.
"""

import struct


class Ext(object):
    """An ext value: code and the raw data bytes."""

    def __init__(self, code, data):
        self.code = code
        self.data = data

    def __eq__(self, other):
        return (isinstance(other, Ext) and self.code == other.code and
                self.data == other.data)

    def __repr__(self):
        return "Ext(%d, %r)" % (self.code, self.data)


class Raw(object):
    """Bytes written as they are in place of a value."""

    def __init__(self, data):
        self.data = data


def _head(n, fix, fixmax, c8, c16, c32):
    if fixmax is not None and n <= fixmax:
        return bytes([fix | n])
    if c8 is not None and n < 0x100:
        return bytes([c8, n])
    if n < 0x10000:
        return bytes([c16]) + struct.pack(">H", n)
    return bytes([c32]) + struct.pack(">I", n)


def pack(v):
    """The msgpack encoding of v (bytes)."""
    if isinstance(v, Raw):
        return v.data
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 0x80:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack(">b", v)
        if 0 <= v < 0x100:
            return b"\xcc" + bytes([v])
        if 0 <= v < 0x10000:
            return b"\xcd" + struct.pack(">H", v)
        if 0 <= v < 0x100000000:
            return b"\xce" + struct.pack(">I", v)
        if 0 <= v < 1 << 64:
            return b"\xcf" + struct.pack(">Q", v)
        if -0x80 <= v:
            return b"\xd0" + struct.pack(">b", v)
        if -0x8000 <= v:
            return b"\xd1" + struct.pack(">h", v)
        if -0x80000000 <= v:
            return b"\xd2" + struct.pack(">i", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _head(len(b), 0xa0, 31, 0xd9, 0xda, 0xdb) + b
    if isinstance(v, (bytes, bytearray)):
        return _head(len(v), 0, None, 0xc4, 0xc5, 0xc6) + bytes(v)
    if isinstance(v, (list, tuple)):
        return (_head(len(v), 0x90, 15, None, 0xdc, 0xdd) +
                b"".join(pack(x) for x in v))
    if isinstance(v, dict):
        return (_head(len(v), 0x80, 15, None, 0xde, 0xdf) +
                b"".join(pack(k) + pack(x) for k, x in v.items()))
    if isinstance(v, Ext):
        n = len(v.data)
        fixed = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
        if n in fixed:
            h = bytes([fixed[n], v.code & 0xff])
        elif n < 0x100:
            h = bytes([0xc7, n, v.code & 0xff])
        elif n < 0x10000:
            h = b"\xc8" + struct.pack(">H", n) + bytes([v.code & 0xff])
        else:
            h = b"\xc9" + struct.pack(">I", n) + bytes([v.code & 0xff])
        return h + v.data
    raise TypeError("cannot pack %r" % type(v))


def frame(payload):
    """One frame: the 4-byte big-endian length, then payload (bytes)."""
    if not isinstance(payload, (bytes, bytearray)):
        payload = pack(payload)
    return struct.pack(">I", len(payload)) + bytes(payload)


def instance(module, cls, state):
    """A Python instance as the plugin sends it (ext 1)."""
    return Ext(1, pack([module, cls, state]))


class DecodeError(Exception):
    pass


def unpack_from(b, i=0, depth=0):
    """Decodes one value at b[i:]; returns (value, next offset)."""
    if depth > 512:
        raise DecodeError("nested too deeply at %d" % i)
    if i >= len(b):
        raise DecodeError("truncated at %d" % i)
    c = b[i]
    i += 1

    def take(n):
        if i + n > len(b):
            raise DecodeError("truncated at %d" % i)
        return b[i:i + n]

    def seq(n, i):
        out = []
        for _ in range(n):
            x, i = unpack_from(b, i, depth + 1)
            out.append(x)
        return out, i

    def mapping(n, i):
        out = {}
        for _ in range(n):
            k, i = unpack_from(b, i, depth + 1)
            x, i = unpack_from(b, i, depth + 1)
            out[k if not isinstance(k, (list, dict)) else repr(k)] = x
        return out, i

    if c < 0x80:
        return c, i
    if c >= 0xe0:
        return c - 0x100, i
    if 0x80 <= c <= 0x8f:
        return mapping(c & 0x0f, i)
    if 0x90 <= c <= 0x9f:
        return seq(c & 0x0f, i)
    if 0xa0 <= c <= 0xbf:
        n = c & 0x1f
        return take(n).decode("utf-8", "surrogateescape"), i + n
    if c == 0xc0:
        return None, i
    if c == 0xc2:
        return False, i
    if c == 0xc3:
        return True, i
    sizes = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4,
             0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4, 0xc7: 1, 0xc8: 2, 0xc9: 4}
    if c in sizes:
        w = sizes[c]
        n = int.from_bytes(take(w), "big")
        i += w
        if c in (0xc4, 0xc5, 0xc6):
            return bytes(take(n)), i + n
        if c in (0xd9, 0xda, 0xdb):
            return take(n).decode("utf-8", "surrogateescape"), i + n
        if c in (0xdc, 0xdd):
            return seq(n, i)
        if c in (0xde, 0xdf):
            return mapping(n, i)
        code = take(1)[0]
        i += 1
        return Ext(code, bytes(take(n))), i + n
    fixed = {0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}
    if c in fixed:
        code = take(1)[0]
        i += 1
        n = fixed[c]
        return Ext(code, bytes(take(n))), i + n
    ints = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q",
            0xd0: ">b", 0xd1: ">h", 0xd2: ">i", 0xd3: ">q",
            0xca: ">f", 0xcb: ">d"}
    if c in ints:
        f = ints[c]
        n = struct.calcsize(f)
        return struct.unpack(f, take(n))[0], i + n
    raise DecodeError("byte 0x%02x at %d is not msgpack" % (c, i - 1))


def unpack(b):
    """The one value b holds; trailing bytes are an error."""
    v, i = unpack_from(b, 0)
    if i != len(b):
        raise DecodeError("%d trailing bytes" % (len(b) - i))
    return v


def frames(data):
    """Yields (offset, payload bytes) for every frame of a byte string."""
    i = 0
    while i + 4 <= len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        if i + 4 + n > len(data):
            raise DecodeError("frame at %d: truncated" % i)
        yield i, data[i + 4:i + 4 + n]
        i += 4 + n
    if i != len(data):
        raise DecodeError("%d stray bytes at the end" % (len(data) - i))
