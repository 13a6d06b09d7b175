# -*- coding: utf-8 -*-
"""bbmirror_status: a Buildbot 0.8 status plugin that streams every status
event of the master to bbmirrord, the bbmirror listener.

In master.cfg:

    from bbmirror_status import MirrorStatus
    c['status'].append(MirrorStatus(socket="/run/bbmirror/bbmirrord.sock"))
    # or: MirrorStatus(tcp="mirror.example.org:9989", token="secret")

Every event is first appended to a spool on the master's disk (by default
<basedir>/bbmirror-spool), then sent; the listener acknowledges what it has
committed and acknowledged spool segments are deleted. While the listener is
down, events wait in the spool (up to spool_max_bytes) and are sent when it
comes back, oldest first, each exactly once as far as the database is
concerned (every event has a sequence number; the listener skips what it
already has). Nothing here ever raises into the master or waits on the
network: sockets are non-blocking and driven from the status callbacks and a
0.1 s timer.

The wire protocol is lib/protocol.h (doc/protocol.md) of bbmirror. This
module is self-contained: Python 2.6, 2.7 and 3, standard library only
(Twisted and Buildbot are used when present, as in a running master).
"""

import errno
import os
import select
import socket as _socketmod
import struct
import sys
import time
import traceback
import types

try:
    from twisted.python import log as _twisted_log
except Exception:
    _twisted_log = None
try:
    from twisted.internet import task as _twisted_task
except Exception:
    _twisted_task = None
try:
    from twisted.python.failure import Failure as _Failure
except Exception:
    _Failure = None
try:
    from buildbot.status.base import StatusReceiverMultiService as _Base
except Exception:
    _Base = None

PY3 = sys.version_info[0] >= 3
if PY3:
    _text_type = str
    _bytes_type = bytes
    _int_types = (int,)
    _class_types = (type,)
else:
    _text_type = unicode          # noqa: F821 (Python 2)
    _bytes_type = str
    _int_types = (int, long)      # noqa: F821 (Python 2)
    _class_types = (type, types.ClassType)

CLIENT = "bbmirror_status.py/1"
PROTOCOL_VERSION = 1
FRAME_MAX = 16 << 20            # PROTOCOL_FRAME_MAX
CHUNK_SPLIT = 1000000           # PROTOCOL_CHUNK_SPLIT
EXT_INSTANCE = 1
EXT_GLOBAL = 2
EXT_LONG = 3

SEGMENT_MAX = 4 << 20           # start a new spool segment beyond this
MAX_NEST = 32                   # arrays and maps in one msgpack object
MAX_DEPTH = 200                 # containers and instances in each other
MAX_NODES = 200000              # containers and instances in one value
REPLY_MAX = 1 << 20             # largest frame accepted from the listener
SEND_BATCH = 256 << 10
OUT_LOW = 256 << 10             # refill the send buffer from the spool below
OUT_HIGH = 1 << 20
HANDSHAKE_TIMEOUT = 30.0
DROP_LOG_EVERY = 1000

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_S_B = struct.Struct(">B")
_S_H = struct.Struct(">H")
_S_I = struct.Struct(">I")
_S_Q = struct.Struct(">Q")
_S_BB = struct.Struct(">BB")
_S_BH = struct.Struct(">BH")
_S_BI = struct.Struct(">BI")
_S_BQ = struct.Struct(">BQ")
_S_Bb = struct.Struct(">Bb")
_S_Bh = struct.Struct(">Bh")
_S_Bi = struct.Struct(">Bi")
_S_Bq = struct.Struct(">Bq")
_S_Bd = struct.Struct(">Bd")
_S_BBb = struct.Struct(">BBb")
_S_BHb = struct.Struct(">BHb")
_S_BIb = struct.Struct(">BIb")

# Every event envelope starts with these bytes (fixmap, then "type":
# "event"), and "seq" follows as a uint64: the seq of a frame sits at a
# fixed offset, so the spool can read and rewrite it without decoding.
_EVENT_HEAD = b"\xa4type\xa5event\xa3seq\xcf"
_HELLO_HEAD = b"\xa4type\xa5hello"
SEQ_OFFSET = 4 + 1 + len(_EVENT_HEAD)


def _default_log(message):
    if _twisted_log is not None:
        _twisted_log.msg(message)
    else:
        sys.stderr.write(message + "\n")


def _safe_log(fn):
    """A logging function that never raises."""
    def log(message):
        try:
            fn(message)
        except Exception:
            pass
    return log


def _utf8(s):
    """Protocol text (a msgpack str) from a Python 2 str or any string."""
    if isinstance(s, _bytes_type):
        return s.decode("utf-8", "replace").encode("utf-8")
    if not isinstance(s, _text_type):
        s = _text_type(s)
    try:
        return s.encode("utf-8")
    except UnicodeError:
        return s.encode("utf-8", "replace")


# ---------------------------------------------------------------------------
# msgpack, the part protocol.h needs.

def _pack_str(out, b):
    n = len(b)
    if n < 32:
        out.append(0xa0 | n)
    elif n < 0x100:
        out += _S_BB.pack(0xd9, n)
    elif n < 0x10000:
        out += _S_BH.pack(0xda, n)
    else:
        out += _S_BI.pack(0xdb, n)
    out += b


def _pack_bin(out, b):
    n = len(b)
    if n < 0x100:
        out += _S_BB.pack(0xc4, n)
    elif n < 0x10000:
        out += _S_BH.pack(0xc5, n)
    else:
        out += _S_BI.pack(0xc6, n)
    out += b


def _pack_int(out, v):
    if 0 <= v:
        if v < 0x80:
            out.append(v)
        elif v < 0x100:
            out += _S_BB.pack(0xcc, v)
        elif v < 0x10000:
            out += _S_BH.pack(0xcd, v)
        elif v < 0x100000000:
            out += _S_BI.pack(0xce, v)
        elif v <= _INT64_MAX:
            out += _S_BQ.pack(0xcf, v)
        else:
            _pack_ext(out, EXT_LONG, ("%d" % v).encode("ascii"))
    elif v >= -32:
        out.append(v & 0xff)
    elif v >= -0x80:
        out += _S_Bb.pack(0xd0, v)
    elif v >= -0x8000:
        out += _S_Bh.pack(0xd1, v)
    elif v >= -0x80000000:
        out += _S_Bi.pack(0xd2, v)
    elif v >= _INT64_MIN:
        out += _S_Bq.pack(0xd3, v)
    else:
        _pack_ext(out, EXT_LONG, ("%d" % v).encode("ascii"))


def _pack_array_head(out, n):
    if n < 16:
        out.append(0x90 | n)
    elif n < 0x10000:
        out += _S_BH.pack(0xdc, n)
    else:
        out += _S_BI.pack(0xdd, n)


def _pack_map_head(out, n):
    if n < 16:
        out.append(0x80 | n)
    elif n < 0x10000:
        out += _S_BH.pack(0xde, n)
    else:
        out += _S_BI.pack(0xdf, n)


_FIXEXT = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}


def _pack_ext(out, code, data):
    n = len(data)
    if n in _FIXEXT:
        out += _S_BB.pack(_FIXEXT[n], code)
    elif n < 0x100:
        out += _S_BBb.pack(0xc7, n, code)
    elif n < 0x10000:
        out += _S_BHb.pack(0xc8, n, code)
    else:
        out += _S_BIb.pack(0xc9, n, code)
    out += data


def _pack_float(out, v):
    out += _S_Bd.pack(0xcb, v)


def _pack_text(out, s):
    _pack_str(out, _utf8(s))


# Status objects repeat the same short strings (attribute names, property
# names, texts) over and over: their encodings are kept.
_CACHE_MAX = 20000
_text_cache = {}
_bin_cache = {}


def _cached_text(s):
    b = _text_cache.get(s)
    if b is None:
        out = bytearray()
        _pack_str(out, _utf8(s))
        b = bytes(out)
        if len(s) <= 64 and len(_text_cache) < _CACHE_MAX:
            _text_cache[s] = b
    return b


_names_cache = {}


def _class_names(cls):
    """The packed module and name of an instance's class."""
    b = _names_cache.get(cls)
    if b is None:
        out = bytearray()
        _pack_text(out, getattr(cls, "__module__", None) or "__main__")
        _pack_text(out, getattr(cls, "__name__", "?"))
        b = bytes(out)
        if len(_names_cache) < _CACHE_MAX:
            _names_cache[cls] = b
    return b


def _cached_bin(s):
    b = _bin_cache.get(s)
    if b is None:
        out = bytearray()
        _pack_bin(out, s)
        b = bytes(out)
        if len(s) <= 64 and len(_bin_cache) < _CACHE_MAX:
            _bin_cache[s] = b
    return b


def _getstate_default():
    return getattr(object, "__getstate__", None)


_OBJECT_GETSTATE = _getstate_default()
_VERSIONED_FORGET = {
    # BuilderStatus.__getstate__ saves every running build to disk (a side
    # effect the master must not get from us), so its state is made here
    # from __dict__, removing what 0.8's __getstate__ removes.
    "BuilderStatus": ("buildCache", "buildCache_LRU", "currentBuilds",
                      "pendingBuilds", "currentBigState", "basedir",
                      "status", "nextBuildNumber", "master", "botmaster"),
}


def _mro(cls):
    seen = []
    todo = [cls]
    while todo:
        c = todo.pop(0)
        if c in seen:
            continue
        seen.append(c)
        todo.extend(getattr(c, "__bases__", ()))
    return seen


def _versioned_state(obj, forget):
    """What twisted's Versioned.__getstate__ returns, minus `forget`."""
    d = dict(obj.__dict__)
    for k in forget:
        d.pop(k, None)
    if "watchers" in d:
        d["watchers"] = []
    for c in _mro(obj.__class__):
        if c.__name__ == "Versioned":
            continue
        if "persistenceVersion" in c.__dict__:
            d["%s.%s.persistenceVersion" % (c.__module__, c.__name__)] = \
                c.__dict__["persistenceVersion"]
    return d


def instance_state(obj):
    """The state of an instance as protocol.h sends it: what the pickler
    would save (__getstate__() or __dict__), with an unfinished
    BuildStatus' finished reset to None (0.8's __getstate__ puts now()
    there). Raises if __getstate__ raises."""
    cls = obj.__class__
    name = cls.__name__
    forget = _VERSIONED_FORGET.get(name)
    if forget is not None and hasattr(obj, "__dict__"):
        return _versioned_state(obj, forget)
    getstate = getattr(obj, "__getstate__", None)
    if getstate is not None and _OBJECT_GETSTATE is not None and \
            getattr(cls, "__getstate__", None) is _OBJECT_GETSTATE:
        getstate = None
    if getstate is None:
        return obj.__dict__
    state = getstate()
    if name == "BuildStatus" and isinstance(state, dict) and \
            not obj.__dict__.get("finished"):
        state = dict(state)
        state["finished"] = None
    return state


class Packer(object):
    """Encodes Python values the way protocol.h says: str/bytes as bin,
    unicode as str, containers as arrays and maps, instances as ext 1,
    classes and functions as ext 2, ints beyond int64 as ext 3, the rest as
    the str of their repr(). A value that refers back to one of its
    containers is sent as nil, and so is what lies beyond the limits the
    listener sets (doc/protocol.md): more than max_nest arrays and maps
    inside one msgpack object (an envelope or an ext's data), more than
    max_depth containers and instances in all, more than max_nodes of them
    per value. One Packer encodes one value at a time."""

    def __init__(self, max_nest=MAX_NEST, max_depth=MAX_DEPTH,
                 max_nodes=MAX_NODES):
        self.max_nest = max_nest
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.truncated = False
        self._nodes = 0
        self._active = set()

    def pack(self, obj, nest=1):
        """The msgpack bytes of obj, as a value inside nest containers of
        its msgpack object (1: a value of an event's envelope). Never
        raises for odd objects."""
        out = bytearray()
        self._nodes = 0
        self._active = set()
        self.truncated = False
        self._pack(obj, out, 0, nest)
        return bytes(out)

    def _pack(self, obj, out, depth, nest):
        t = type(obj)
        if obj is None:
            out.append(0xc0)
        elif t is bool:
            out.append(0xc3 if obj else 0xc2)
        elif t is _bytes_type:
            if len(obj) <= 64:
                out += _cached_bin(obj)
            else:
                _pack_bin(out, obj)
        elif t is _text_type:
            out += _cached_text(obj)
        elif t in _int_types:
            _pack_int(out, obj)
        elif t is float:
            _pack_float(out, obj)
        elif t is list or t is tuple:
            self._seq(obj, out, depth, nest)
        elif t is dict:
            self._map(obj, out, depth, nest)
        else:
            self._other(obj, out, depth, nest)

    def _enter(self, obj, out, depth, nest):
        if id(obj) in self._active:
            out.append(0xc0)
            return False
        self._nodes += 1
        if nest >= self.max_nest or depth >= self.max_depth or \
                self._nodes > self.max_nodes:
            self.truncated = True
            out.append(0xc0)
            return False
        self._active.add(id(obj))
        return True

    def _seq(self, obj, out, depth, nest):
        if not self._enter(obj, out, depth, nest):
            return
        try:
            items = list(obj)
            if isinstance(obj, (set, frozenset)):
                # Sets have no order: sorted, so equal sets encode equally.
                try:
                    items.sort()
                except Exception:
                    pass
            _pack_array_head(out, len(items))
            for x in items:
                self._pack(x, out, depth + 1, nest + 1)
        finally:
            self._active.discard(id(obj))

    def _map(self, obj, out, depth, nest):
        if not self._enter(obj, out, depth, nest):
            return
        try:
            items = list(obj.items())
            _pack_map_head(out, len(items))
            for k, v in items:
                self._pack(k, out, depth + 1, nest + 1)
                self._pack(v, out, depth + 1, nest + 1)
        finally:
            self._active.discard(id(obj))

    def _other(self, obj, out, depth, nest):
        if isinstance(obj, bool):
            out.append(0xc3 if obj else 0xc2)
        elif isinstance(obj, _bytes_type) or isinstance(obj, bytearray):
            _pack_bin(out, bytes(obj))
        elif isinstance(obj, _text_type):
            _pack_text(out, obj)
        elif isinstance(obj, _int_types):
            _pack_int(out, int(obj))
        elif isinstance(obj, float):
            _pack_float(out, float(obj))
        elif isinstance(obj, (list, tuple, set, frozenset)):
            self._seq(obj, out, depth, nest)
        elif isinstance(obj, dict):
            self._map(obj, out, depth, nest)
        elif isinstance(obj, _class_types):
            self._global(obj, out)
        elif isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            self._global(obj, out)
        elif isinstance(obj, (types.ModuleType, types.MethodType)):
            self._repr(obj, out)
        elif (not PY3 and type(obj) is types.InstanceType) or \
                hasattr(obj, "__dict__"):
            self._instance(obj, out, depth)
        else:
            self._repr(obj, out)

    def _repr(self, obj, out):
        try:
            r = repr(obj)
        except Exception:
            r = "<unrepresentable %s>" % type(obj).__name__
        _pack_text(out, r)

    def _global(self, obj, out):
        sub = bytearray()
        _pack_array_head(sub, 2)
        _pack_text(sub, getattr(obj, "__module__", None) or "__builtin__")
        _pack_text(sub, getattr(obj, "__name__", "?"))
        _pack_ext(out, EXT_GLOBAL, bytes(sub))

    def _instance(self, obj, out, depth):
        # The ext's data is a msgpack object of its own: nesting restarts.
        if not self._enter(obj, out, depth, 0):
            return
        try:
            try:
                state = instance_state(obj)
            except Exception:
                self._active.discard(id(obj))
                self._repr(obj, out)
                return
            cls = obj.__class__
            sub = bytearray(b"\x93")
            sub += _class_names(cls)
            self._pack(state, sub, depth + 1, 1)
            _pack_ext(out, EXT_INSTANCE, bytes(sub))
        finally:
            self._active.discard(id(obj))


class ExtType(object):
    """A msgpack ext value as decoded by unpackb."""

    def __init__(self, code, data):
        self.code = code
        self.data = data

    def __eq__(self, other):
        return isinstance(other, ExtType) and \
            (self.code, self.data) == (other.code, other.data)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "ExtType(%d, %r)" % (self.code, self.data)


class UnpackError(ValueError):
    pass


def _hashable(k):
    if isinstance(k, list):
        return tuple([_hashable(x) for x in k])
    if isinstance(k, dict):
        return tuple(sorted(k.items()))
    return k


def unpackb(data, max_depth=64):
    """Decodes exactly one msgpack value (str as unicode, bin as bytes,
    ext as ExtType). Raises UnpackError on anything malformed."""
    buf = bytearray(data)
    value, pos = _unpack(buf, 0, max_depth)
    if pos != len(buf):
        raise UnpackError("%d bytes after the value" % (len(buf) - pos))
    return value


def _need(buf, pos, n):
    if pos + n > len(buf):
        raise UnpackError("truncated at offset %d" % pos)


def _unpack(buf, pos, depth):
    if depth <= 0:
        raise UnpackError("nested too deeply at offset %d" % pos)
    _need(buf, pos, 1)
    b = buf[pos]
    pos += 1
    if b < 0x80:
        return b, pos
    if b >= 0xe0:
        return b - 0x100, pos
    if 0xa0 <= b <= 0xbf:
        return _raw_str(buf, pos, b & 0x1f)
    if 0x90 <= b <= 0x9f:
        return _array(buf, pos, b & 0x0f, depth)
    if 0x80 <= b <= 0x8f:
        return _map(buf, pos, b & 0x0f, depth)
    if b == 0xc0:
        return None, pos
    if b == 0xc2:
        return False, pos
    if b == 0xc3:
        return True, pos
    fixed = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b",
             0xd1: ">h", 0xd2: ">i", 0xd3: ">q", 0xca: ">f", 0xcb: ">d"}
    if b in fixed:
        fmt = fixed[b]
        n = struct.calcsize(fmt)
        _need(buf, pos, n)
        return struct.unpack(fmt, bytes(buf[pos:pos + n]))[0], pos + n
    lens = {0xd9: ">B", 0xda: ">H", 0xdb: ">I", 0xc4: ">B", 0xc5: ">H",
            0xc6: ">I", 0xdc: ">H", 0xdd: ">I", 0xde: ">H", 0xdf: ">I",
            0xc7: ">B", 0xc8: ">H", 0xc9: ">I"}
    if b in lens:
        fmt = lens[b]
        k = struct.calcsize(fmt)
        _need(buf, pos, k)
        n = struct.unpack(fmt, bytes(buf[pos:pos + k]))[0]
        pos += k
        if b in (0xd9, 0xda, 0xdb):
            return _raw_str(buf, pos, n)
        if b in (0xc4, 0xc5, 0xc6):
            _need(buf, pos, n)
            return bytes(buf[pos:pos + n]), pos + n
        if b in (0xdc, 0xdd):
            return _array(buf, pos, n, depth)
        if b in (0xde, 0xdf):
            return _map(buf, pos, n, depth)
        _need(buf, pos, 1 + n)
        code = struct.unpack(">b", bytes(buf[pos:pos + 1]))[0]
        return ExtType(code, bytes(buf[pos + 1:pos + 1 + n])), pos + 1 + n
    if b in (0xd4, 0xd5, 0xd6, 0xd7, 0xd8):
        n = 1 << (b - 0xd4)
        _need(buf, pos, 1 + n)
        code = struct.unpack(">b", bytes(buf[pos:pos + 1]))[0]
        return ExtType(code, bytes(buf[pos + 1:pos + 1 + n])), pos + 1 + n
    raise UnpackError("byte 0x%02x at offset %d is not msgpack" %
                      (b, pos - 1))


def _raw_str(buf, pos, n):
    _need(buf, pos, n)
    try:
        s = bytes(buf[pos:pos + n]).decode("utf-8")
    except UnicodeError:
        raise UnpackError("str at offset %d is not UTF-8" % pos)
    return s, pos + n


def _array(buf, pos, n, depth):
    items = []
    for _ in range(n):
        v, pos = _unpack(buf, pos, depth - 1)
        items.append(v)
    return items, pos


def _map(buf, pos, n, depth):
    d = {}
    for _ in range(n):
        k, pos = _unpack(buf, pos, depth - 1)
        v, pos = _unpack(buf, pos, depth - 1)
        d[_hashable(k)] = v
    return d, pos


# ---------------------------------------------------------------------------
# Frames.

def frame(payload):
    """A whole frame (length prefix and payload)."""
    return _S_I.pack(len(payload)) + payload


def hello_frame(master, basedir, token=None):
    out = bytearray()
    items = [("type", "hello"), ("version", PROTOCOL_VERSION),
             ("master", master), ("basedir", basedir)]
    if token is not None:
        items.append(("token", token))
    items.append(("client", CLIENT))
    _pack_map_head(out, len(items))
    for k, v in items:
        _pack_text(out, k)
        if isinstance(v, _int_types):
            _pack_int(out, v)
        else:
            _pack_text(out, v)
    return frame(bytes(out))


def event_frame(seq, when, name, items):
    """An event frame; items is a list of (key, msgpack bytes of the
    value). The envelope layout is fixed (see _EVENT_HEAD)."""
    n = 4 + len(items)
    if n > 15:
        raise ValueError("too many keys")
    out = bytearray()
    out.append(0x80 | n)
    out += _EVENT_HEAD
    out += _S_Q.pack(seq)
    out += b"\xa4time"
    _pack_float(out, when)
    out += b"\xa5event"
    _pack_text(out, name)
    for k, v in items:
        _pack_text(out, k)
        out += v
    return _S_I.pack(len(out)) + bytes(out)


def frame_kind(payload):
    """("event", seq), ("hello", None) or (None, None) for a payload of a
    spool frame; decodes only when the fixed layout does not match."""
    if len(payload) >= 1 + len(_EVENT_HEAD) + 8 and \
            payload[1:1 + len(_EVENT_HEAD)] == _EVENT_HEAD:
        off = 1 + len(_EVENT_HEAD)
        return "event", _S_Q.unpack(payload[off:off + 8])[0]
    if payload[1:1 + len(_HELLO_HEAD)] == _HELLO_HEAD:
        return "hello", None
    try:
        msg = unpackb(payload)
    except UnpackError:
        return None, None
    if not isinstance(msg, dict):
        return None, None
    if msg.get("type") == "hello":
        return "hello", None
    seq = msg.get("seq")
    if msg.get("type") == "event" and isinstance(seq, _int_types) and seq > 0:
        return "event", seq
    return None, None


def set_seq(frame_bytes, seq):
    """frame_bytes (an event frame we made) with its seq replaced."""
    return frame_bytes[:SEQ_OFFSET] + _S_Q.pack(seq) + \
        frame_bytes[SEQ_OFFSET + 8:]


def split_frames(data):
    """(list of (offset, frame bytes), offset of the first incomplete or
    bad byte) for a byte string of concatenated frames."""
    frames = []
    pos = 0
    n = len(data)
    while pos + 4 <= n:
        length = _S_I.unpack(data[pos:pos + 4])[0]
        if length == 0 or length > FRAME_MAX or pos + 4 + length > n:
            break
        frames.append((pos, data[pos:pos + 4 + length]))
        pos += 4 + length
    return frames, pos


# ---------------------------------------------------------------------------
# The spool: segment files <dir>/<16-digit first seq>.spool, each a
# recording (a hello frame, then event frames).

class _Segment(object):
    def __init__(self, name, path):
        self.name = name          # first seq at creation: persists numbering
        self.path = path
        self.size = 0
        self.first = None         # first and last event seq in the file
        self.last = None
        self.events = 0


class Spool(object):
    """Event frames on disk until the listener acknowledges them.

    append(frame) numbers and stores an event frame (or drops it when the
    spool would exceed max_bytes); ack(n) deletes the segments whose events
    are all <= n; read(cursor, floor, limit) returns stored frames after a
    position. Sequence numbers survive restarts: they continue after the
    largest found in the files, or the largest segment name."""

    def __init__(self, directory, max_bytes, hello, log):
        self.dir = directory
        self.max_bytes = max_bytes
        self.hello = hello
        self.log = log
        self.segment_max = SEGMENT_MAX
        self.segments = []
        self.total = 0
        self.next_seq = 1
        self.acked = 0
        self.dropped = 0
        self.drop_first = None
        self.failed_writes = 0
        self.last_pos = None
        self._file = None

    # -- opening

    def open(self):
        if not os.path.isdir(self.dir):
            os.makedirs(self.dir)
        names = []
        for fn in os.listdir(self.dir):
            if len(fn) == 22 and fn.endswith(".spool") and fn[:16].isdigit():
                names.append(fn)
        names.sort()
        for fn in names:
            seg = _Segment(int(fn[:16]), os.path.join(self.dir, fn))
            self._scan(seg)
            if seg.size == 0:
                self._unlink(seg.path)
                continue
            self.segments.append(seg)
            self.total += seg.size
            self.next_seq = max(self.next_seq, seg.name)
            if seg.last is not None:
                self.next_seq = max(self.next_seq, seg.last + 1)
        last = self.segments and self.segments[-1] or None
        if last is not None and last.size < self.segment_max:
            self._file = open(last.path, "ab")
        else:
            self._new_segment()

    def _scan(self, seg):
        f = open(seg.path, "rb")
        try:
            data = f.read()
        finally:
            f.close()
        frames, _ = split_frames(data)
        good = 0
        for off, fr in frames:
            kind, seq = frame_kind(fr[4:])
            if kind is None:
                break
            if kind == "event":
                if seg.first is None:
                    seg.first = seq
                seg.last = seq
                seg.events += 1
            good = off + len(fr)
        if good < len(data):
            self.log("bbmirror: spool %s: dropping %d bytes of an "
                     "incomplete or bad frame at offset %d" %
                     (seg.path, len(data) - good, good))
            f = open(seg.path, "r+b")
            try:
                f.truncate(good)
            finally:
                f.close()
        seg.size = good

    def _new_segment(self):
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.segments and self.segments[-1].name == self.next_seq:
            # Same first seq: the last segment holds no event, reuse it.
            old = self.segments.pop()
            self.total -= old.size
        path = os.path.join(self.dir, "%016d.spool" % self.next_seq)
        seg = _Segment(self.next_seq, path)
        f = open(path, "wb")
        f.write(self.hello)
        f.flush()
        seg.size = len(self.hello)
        self.total += seg.size
        self.segments.append(seg)
        self._file = f

    def close(self):
        if self._file is not None:
            try:
                self._file.close()
            except Exception:
                pass
            self._file = None

    def _unlink(self, path):
        try:
            os.unlink(path)
        except OSError:
            pass

    @property
    def current(self):
        return self.segments[-1]

    # -- appending

    def _make_room(self, n):
        """Frees acknowledged space of the current segment when that lets n
        more bytes fit."""
        cur = self.current
        if self.total + n > self.max_bytes and cur.events and \
                cur.last <= self.acked:
            self._new_segment()
            self.ack(self.acked)

    def append(self, frame_bytes):
        """Stores an event frame under the next seq (patched in). Returns
        the seq, or None if the frame was dropped (spool full or not
        writable)."""
        n = len(frame_bytes)
        self._make_room(n)
        if self.total + n > self.max_bytes:
            self._dropping()
            return None
        if self.current.size >= self.segment_max:
            self._new_segment()
        seq = self.next_seq
        if _S_Q.unpack(frame_bytes[SEQ_OFFSET:SEQ_OFFSET + 8])[0] != seq:
            frame_bytes = set_seq(frame_bytes, seq)
        cur = self.current
        try:
            self._file.write(frame_bytes)
            self._file.flush()
        except (IOError, OSError, ValueError, AttributeError):
            e = sys.exc_info()[1]
            self._write_failed(cur, e)
            return None
        self.last_pos = (cur.name, cur.size)
        cur.size += n
        self.total += n
        if cur.first is None:
            cur.first = seq
        cur.last = seq
        cur.events += 1
        self.next_seq = seq + 1
        if self.drop_first is not None:
            self.log("bbmirror: spool has room again: %d events were "
                     "dropped from seq %d" % (self.dropped, self.drop_first))
            self.drop_first = None
            self.dropped = 0
        return seq

    def _dropping(self):
        if self.drop_first is None:
            self.drop_first = self.next_seq
        if self.dropped % DROP_LOG_EVERY == 0:
            self.log("bbmirror: spool full (%d bytes in %s): dropping events "
                     "from seq %d; run bbmirror-import later to backfill" %
                     (self.total, self.dir, self.drop_first))
        self.dropped += 1

    def _write_failed(self, seg, e):
        # Cut a partial frame off, so later frames of the file stay readable.
        try:
            self._file.close()
        except Exception:
            pass
        self._file = None
        try:
            f = open(seg.path, "r+b")
            try:
                f.truncate(seg.size)
            finally:
                f.close()
            self._file = open(seg.path, "ab")
        except (IOError, OSError):
            pass
        if self.failed_writes % DROP_LOG_EVERY == 0:
            self.log("bbmirror: cannot write the spool %s (%s): dropping "
                     "events" % (seg.path, e))
        self.failed_writes += 1
        if self._file is None:
            try:
                self._new_segment()
            except (IOError, OSError):
                pass

    # -- acknowledgements and refusals

    def ack(self, n):
        """Every event <= n is committed: deletes the segments holding
        nothing else (never the one being written)."""
        if n > self.acked:
            self.acked = n
        keep = []
        cur = self.current
        for seg in self.segments:
            if seg is not cur and (seg.events == 0 or seg.last <= self.acked):
                self._unlink(seg.path)
                self.total -= seg.size
            else:
                keep.append(seg)
        self.segments = keep
        if cur.events and cur.last <= self.acked and \
                cur.size >= self.segment_max // 4:
            self._new_segment()
            self.ack(self.acked)

    def _rewrite(self, seg, transform):
        """Rewrites seg's file through transform(list of frames) -> list."""
        is_cur = seg is self.current
        if is_cur:
            self._file.close()
            self._file = None
        f = open(seg.path, "rb")
        try:
            data = f.read()
        finally:
            f.close()
        frames, _ = split_frames(data)
        frames = transform([fr for _, fr in frames])
        tmp = seg.path + ".tmp"
        f = open(tmp, "wb")
        try:
            for fr in frames:
                f.write(fr)
        finally:
            f.close()
        os.rename(tmp, seg.path)
        self.total -= seg.size
        seg.size = sum([len(fr) for fr in frames])
        self.total += seg.size
        seg.first = seg.last = None
        seg.events = 0
        for fr in frames:
            kind, seq = frame_kind(fr[4:])
            if kind == "event":
                if seg.first is None:
                    seg.first = seq
                seg.last = seq
                seg.events += 1
        if is_cur:
            self._file = open(seg.path, "ab")

    def drop(self, seq):
        """Removes event seq from the spool (the listener refused it).
        Returns True if it was there."""
        for seg in self.segments:
            if seg.events and seg.first <= seq <= seg.last:
                found = []

                def keep(frames):
                    out = []
                    for fr in frames:
                        kind, s = frame_kind(fr[4:])
                        if kind == "event" and s == seq:
                            found.append(fr)
                        else:
                            out.append(fr)
                    return out
                self._rewrite(seg, keep)
                return bool(found)
        return False

    def renumber(self, base):
        """Gives every stored event a new seq from base on, in order (the
        listener has seen more events than this spool: it was lost)."""
        old = self.segments
        if self._file is not None:
            self._file.close()
            self._file = None
        self.segments = []
        self.next_seq = base
        self._new_segment()
        for seg in old:
            f = open(seg.path, "rb")
            try:
                data = f.read()
            finally:
                f.close()
            frames, _ = split_frames(data)
            for _, fr in frames:
                kind, _ = frame_kind(fr[4:])
                if kind != "event":
                    continue
                if self.current.size >= self.segment_max:
                    self._new_segment()
                fr = set_seq(fr, self.next_seq)
                self._file.write(fr)
                cur = self.current
                cur.size += len(fr)
                self.total += len(fr)
                if cur.first is None:
                    cur.first = self.next_seq
                cur.last = self.next_seq
                cur.events += 1
                self.next_seq += 1
            self._file.flush()
            self._unlink(seg.path)
            self.total -= seg.size
        self.acked = base - 1

    # -- reading for the connection

    def read(self, cursor, floor, limit):
        """Event frames with seq > floor from cursor ([segment name,
        offset], advanced in place) on, about limit bytes at most (at least
        one frame if there is one)."""
        out = []
        size = 0
        while size < limit:
            seg = None
            for s in self.segments:
                if s.name >= cursor[0]:
                    seg = s
                    break
            if seg is None:
                break
            if seg.name != cursor[0]:
                cursor[0] = seg.name
                cursor[1] = 0
            if cursor[1] >= seg.size:
                if seg is self.current:
                    break
                cursor[0] = seg.name + 1
                cursor[1] = 0
                continue
            if seg.events == 0 or seg.last <= floor:
                cursor[1] = seg.size
                continue
            f = open(seg.path, "rb")
            try:
                f.seek(cursor[1])
                want = min(seg.size - cursor[1], max(limit - size, 65536))
                data = f.read(want)
                frames, end = split_frames(data)
                if not frames and len(data) >= 4:
                    length = _S_I.unpack(data[:4])[0]
                    data += f.read(min(4 + length, seg.size - cursor[1]) -
                                   len(data))
                    frames, end = split_frames(data)
            finally:
                f.close()
            if not frames:
                # Unreadable: skip the rest of this segment.
                cursor[1] = seg.size
                continue
            for _, fr in frames:
                kind, seq = frame_kind(fr[4:])
                if kind == "event" and seq > floor:
                    out.append(fr)
                    size += len(fr)
            cursor[1] += end
        return out


# ---------------------------------------------------------------------------
# The connection to bbmirrord.

IDLE, CONNECTING, HELLO, READY = range(4)


class Link(object):
    """One connection at a time to the listener, re-established with
    backoff, fed from the spool. Every method returns at once."""

    def __init__(self, spool, address, token, hello, log, clock,
                 backoff_min=0.5, backoff_max=30.0):
        self.spool = spool
        self.address = address    # ("unix", path) or ("tcp", host, port)
        self.token = token
        self.hello = hello
        self.log = log
        self.clock = clock
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.backoff = backoff_min
        self.state = IDLE
        self.next_try = 0.0
        self.sock = None
        self.out = bytearray()
        self.inbuf = bytearray()
        self.cursor = None
        self.floor = 0
        self.queued = 0
        self.since = 0.0
        self.last_problem = None
        self.connects = 0
        self.attempts = 0

    def describe(self):
        if self.address[0] == "unix":
            return self.address[1]
        return "%s:%d" % (self.address[1], self.address[2])

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except Exception:
                pass
        self.sock = None
        self.out = bytearray()
        self.inbuf = bytearray()
        self.cursor = None

    def _fail(self, problem):
        self.close()
        self.state = IDLE
        self.next_try = self.clock() + self.backoff
        if problem != self.last_problem:
            self.log("bbmirror: %s: %s (retrying every %g s at most)" %
                     (self.describe(), problem, self.backoff_max))
            self.last_problem = problem
        self.backoff = min(self.backoff * 2, self.backoff_max)

    def _connect(self):
        self.attempts += 1
        try:
            if self.address[0] == "unix":
                family = _socketmod.AF_UNIX
                addr = self.address[1]
            else:
                info = _socketmod.getaddrinfo(self.address[1],
                                              self.address[2], 0,
                                              _socketmod.SOCK_STREAM)
                family, _, _, _, addr = info[0]
            sock = _socketmod.socket(family, _socketmod.SOCK_STREAM)
        except (_socketmod.error, OSError, IOError):
            self._fail("cannot connect: %s" % (sys.exc_info()[1],))
            return
        sock.setblocking(0)
        self.sock = sock
        err = sock.connect_ex(addr)
        self.since = self.clock()
        if err == 0:
            self._connected()
        elif err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN,
                     errno.EALREADY):
            self.state = CONNECTING
        else:
            self._fail("cannot connect: %s" % os.strerror(err))

    def _writable(self):
        try:
            if hasattr(select, "poll"):
                p = select.poll()
                p.register(self.sock.fileno(), select.POLLOUT)
                return bool(p.poll(0))
            return bool(select.select([], [self.sock], [], 0)[1])
        except (select.error, ValueError, OSError):
            return True

    def _connected(self):
        self.state = HELLO
        self.connects += 1
        self.out = bytearray(self.hello)
        self.inbuf = bytearray()

    def poll(self):
        """Advances the connection as far as it goes without waiting."""
        now = self.clock()
        if self.state == IDLE:
            if now < self.next_try:
                return
            self._connect()
        if self.state == CONNECTING:
            if not self._writable():
                if now - self.since > HANDSHAKE_TIMEOUT:
                    self._fail("connection timed out")
                return
            err = self.sock.getsockopt(_socketmod.SOL_SOCKET,
                                       _socketmod.SO_ERROR)
            if err:
                self._fail("cannot connect: %s" % os.strerror(err))
                return
            self._connected()
        if self.state == HELLO and now - self.since > HANDSHAKE_TIMEOUT:
            self._fail("no welcome from bbmirrord")
            return
        self._read()
        if self.state == IDLE:
            return
        self._fill()
        self._write()

    def _read(self):
        while self.sock is not None:
            try:
                data = self.sock.recv(65536)
            except _socketmod.error:
                e = sys.exc_info()[1]
                if e.args and e.args[0] in (errno.EAGAIN, errno.EWOULDBLOCK,
                                            errno.EINTR):
                    break
                self._fail("receive: %s" % (e,))
                return
            if not data:
                self._fail("connection closed by bbmirrord")
                return
            self.inbuf += data
            while len(self.inbuf) >= 4:
                length = _S_I.unpack(bytes(self.inbuf[:4]))[0]
                if length == 0 or length > REPLY_MAX:
                    self._fail("bad frame length %d from bbmirrord" % length)
                    return
                if len(self.inbuf) < 4 + length:
                    break
                payload = bytes(self.inbuf[4:4 + length])
                del self.inbuf[:4 + length]
                try:
                    msg = unpackb(payload)
                except UnpackError:
                    self._fail("bad frame from bbmirrord: %s" %
                               (sys.exc_info()[1],))
                    return
                self._message(msg)
                if self.state == IDLE:
                    return

    def _message(self, msg):
        if not isinstance(msg, dict):
            self._fail("bad frame from bbmirrord: not a map")
            return
        kind = msg.get("type")
        if kind == "welcome":
            self._welcome(msg)
        elif kind == "ack":
            seq = msg.get("seq")
            if isinstance(seq, _int_types) and not isinstance(seq, bool):
                # Never further than what was sent: a confused listener
                # must not make us delete events it has not seen.
                self.spool.ack(min(seq, self.queued))
        elif kind == "error":
            message = msg.get("message")
            seq = msg.get("seq")
            if isinstance(seq, _int_types) and seq > 0 and \
                    not isinstance(seq, bool):
                self.log("bbmirror: bbmirrord refused event %d: %s; "
                         "dropping it" % (seq, message))
                try:
                    self.spool.drop(seq)
                except (IOError, OSError):
                    self.log("bbmirror: cannot drop event %d from the "
                             "spool: %s" % (seq, sys.exc_info()[1]))
                self._fail("connection closed after an error")
            else:
                self._fail("error from bbmirrord: %s" % (message,))

    def _welcome(self, msg):
        if self.state != HELLO:
            self._fail("unexpected welcome")
            return
        if msg.get("version") != PROTOCOL_VERSION:
            self._fail("bbmirrord speaks protocol version %r, not %d" %
                       (msg.get("version"), PROTOCOL_VERSION))
            return
        last = msg.get("last_seq")
        if not isinstance(last, _int_types) or last < 0:
            self._fail("bad welcome from bbmirrord")
            return
        spool = self.spool
        if last < spool.acked:
            self.log("bbmirror: bbmirrord has events up to %d only, but had "
                     "acknowledged up to %d (database restored?): those "
                     "events are no longer spooled; run bbmirror-import to "
                     "backfill" % (last, spool.acked))
        if last >= spool.next_seq:
            self.log("bbmirror: bbmirrord has events up to %d, the spool "
                     "only up to %d (spool lost?): continuing from %d" %
                     (last, spool.next_seq - 1, last + 1))
            spool.renumber(last + 1)
        spool.ack(last)
        self.floor = last
        self.queued = last
        self.cursor = [spool.segments[0].name, 0]
        self.state = READY
        self.backoff = self.backoff_min
        if self.last_problem is not None or self.connects == 1:
            self.log("bbmirror: connected to bbmirrord at %s (it has events "
                     "up to %d, sending from %d)" %
                     (self.describe(), last, last + 1))
        self.last_problem = None

    def offer(self, frame_bytes, pos):
        """An event frame just appended to the spool at pos (segment name,
        offset): queued directly when the cursor is at that point."""
        if self.state != READY or self.cursor is None:
            return
        if self.cursor[0] == pos[0] and self.cursor[1] == pos[1] and \
                len(self.out) < OUT_HIGH:
            self.out += frame_bytes
            self.cursor[1] += len(frame_bytes)
            self.queued = self.spool.next_seq - 1

    def _fill(self):
        if self.state != READY or len(self.out) >= OUT_LOW:
            return
        frames = self.spool.read(self.cursor, self.floor, OUT_HIGH)
        for fr in frames:
            self.out += fr
        if frames:
            last = frames[-1]
            self.queued = _S_Q.unpack(last[SEQ_OFFSET:SEQ_OFFSET + 8])[0]

    def _write(self):
        while self.out and self.sock is not None:
            try:
                n = self.sock.send(bytes(self.out[:SEND_BATCH]))
            except _socketmod.error:
                e = sys.exc_info()[1]
                if e.args and e.args[0] in (errno.EAGAIN, errno.EWOULDBLOCK,
                                            errno.EINTR):
                    return
                self._fail("send: %s" % (e,))
                return
            if n <= 0:
                return
            del self.out[:n]
            if self.state == READY and len(self.out) < OUT_LOW:
                self._fill()


def parse_tcp(spec):
    """("tcp", host, port) from "host:port" or "[v6addr]:port"."""
    host, sep, port = spec.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError("tcp must be HOST:PORT, not %r" % (spec,))
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return ("tcp", host, int(port))


# ---------------------------------------------------------------------------
# The status receiver.

def _guarded(subscribe):
    """Wraps a status callback so that it never raises into the master and
    drives the connection afterwards. subscribe: the callback returns the
    receiver (to get the next level of events) while running."""
    def wrap(fn):
        def callback(self, *args):
            if self._running:
                try:
                    fn(self, *args)
                except Exception:
                    self._problem(fn.__name__)
                self._poll_quietly()
            if subscribe and self._running:
                return self._subscription(fn.__name__)
            return None
        callback.__name__ = fn.__name__
        callback.__doc__ = fn.__doc__
        return callback
    return wrap


def _epoch(v):
    """A float epoch from a number or a datetime; None otherwise."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (float,) + _int_types):
        return float(v)
    if hasattr(v, "utctimetuple"):
        import calendar
        try:
            if v.tzinfo is not None:
                t = calendar.timegm(v.utctimetuple())
            else:
                t = calendar.timegm(v.timetuple())
            return t + v.microsecond / 1e6
        except Exception:
            return None
    return None


def _count(v):
    """v if it is an int >= 0 (an id), else None."""
    if isinstance(v, _int_types) and not isinstance(v, bool) and v >= 0:
        return v
    return None


def _unicode(s):
    """Text (sent as a msgpack str) from a Python 2 str or anything."""
    return _utf8(s).decode("utf-8")


def _is_deferred(v):
    return hasattr(v, "addBoth") and hasattr(v, "callback")


def _is_failure(v):
    if _Failure is not None and isinstance(v, _Failure):
        return True
    return type(v).__name__ == "Failure" and hasattr(v, "getErrorMessage")


_BaseClass = _Base if _Base is not None else object


class MirrorStatus(_BaseClass):
    """The bbmirror status receiver (IStatusReceiver). Options:

    socket           path of bbmirrord's UNIX socket, or
    tcp              "host:port" of bbmirrord's TCP listener (with token)
    token            shared secret sent in the hello (required over TCP)
    master           the master's name in the mirror (default: the base
                     directory's last component)
    basedir          the master's base directory (default: the master's)
    spool_dir        where unsent events wait (default
                     <basedir>/bbmirror-spool); neither socket nor tcp:
                     spool only (for bbmirror-replay)
    spool_max_bytes  events beyond this are dropped (default 256 MiB)
    backoff_min, backoff_max  reconnection delay bounds (0.5 s, 30 s)
    build_eta        if set, ask for buildETAUpdate every build_eta seconds
    """

    compare_attrs = ["socket", "tcp", "token", "master", "basedir",
                     "spool_dir", "spool_max_bytes", "backoff_min",
                     "backoff_max", "build_eta"]

    def __init__(self, socket=None, tcp=None, token=None, master=None,
                 basedir=None, spool_dir=None, spool_max_bytes=256 << 20,
                 backoff_min=0.5, backoff_max=30.0, build_eta=None,
                 log=None, clock=None, poll_interval=0.1):
        if _Base is not None:
            _Base.__init__(self)
        if socket is not None and tcp is not None:
            raise ValueError("MirrorStatus: give socket or tcp, not both")
        self.socket = socket
        self.tcp = tcp
        self.token = token
        self.address = None
        if socket is not None:
            self.address = ("unix", socket)
        elif tcp is not None:
            self.address = parse_tcp(tcp)
        self.master = master
        self.basedir = basedir
        self.spool_dir = spool_dir
        self.spool_max_bytes = spool_max_bytes
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.build_eta = build_eta
        self.poll_interval = poll_interval
        self._log = _safe_log(log if log is not None else _default_log)
        self._clock = clock if clock is not None else time.time
        self._running = False
        self._polling = False
        self._status = None
        self._timer = None
        self.spool = None
        self.link = None
        self.problems = 0
        self._problem_counts = {}
        self._packer = Packer()
        self._ident_cache = {}
        self.parent = getattr(self, "parent", None)

    # -- service plumbing (twisted's when Buildbot is there)

    if _Base is None:
        running = 0

        def setServiceParent(self, parent):
            self.parent = parent
            add = getattr(parent, "addService", None)
            if add is not None:
                add(self)
            elif getattr(parent, "running", True):
                self.startService()

        def disownServiceParent(self):
            parent = self.parent
            remove = getattr(parent, "removeService", None)
            if remove is not None:
                remove(self)
            elif self.running:
                self.stopService()
            self.parent = None

    def startService(self):
        if _Base is not None:
            _Base.startService(self)
        else:
            self.running = 1
        try:
            self._start()
        except Exception:
            self._problem("startService")

    def stopService(self):
        try:
            self._stop()
        except Exception:
            self._problem("stopService")
        if _Base is not None:
            return _Base.stopService(self)
        self.running = 0
        return None

    def checkConfig(self, otherStatusReceivers, errors=None):
        """Two receivers writing one spool would corrupt it."""
        for other in otherStatusReceivers:
            if other is self or not isinstance(other, MirrorStatus):
                continue
            if other.spool_dir == self.spool_dir:
                msg = ("MirrorStatus: two receivers would share the spool "
                       "directory %s; give each its own spool_dir" %
                       (self.spool_dir or "<basedir>/bbmirror-spool"))
                if errors is not None and hasattr(errors, "addError"):
                    errors.addError(msg)
                else:
                    raise ValueError(msg)

    def _find_status(self):
        p = self.parent
        if p is None:
            return None
        if hasattr(p, "subscribe") and hasattr(p, "getBuilderNames"):
            return p
        if hasattr(p, "getStatus"):
            return p.getStatus()
        return getattr(p, "status", None)

    def _start(self):
        if self._running:
            return
        status = self._find_status()
        basedir = self.basedir
        if basedir is None and status is not None:
            basedir = getattr(status, "basedir", None)
            if basedir is None:
                basedir = getattr(getattr(status, "master", None),
                                  "basedir", None)
        if basedir is None:
            basedir = os.getcwd()
        basedir = os.path.abspath(basedir)
        master = self.master or \
            os.path.basename(os.path.normpath(basedir)) or "master"
        spool_dir = self.spool_dir or "bbmirror-spool"
        spool_dir = os.path.join(basedir, spool_dir)
        self.master_name = master
        self.spool = Spool(spool_dir, self.spool_max_bytes,
                           hello_frame(master, basedir), self._log)
        self.spool.open()
        if self.address is not None:
            self.link = Link(self.spool, self.address, self.token,
                             hello_frame(master, basedir, self.token),
                             self._log, self._clock, self.backoff_min,
                             self.backoff_max)
        self._running = True
        self._poll_quietly()
        if _twisted_task is not None and self.poll_interval:
            self._timer = _twisted_task.LoopingCall(self._poll_quietly)
            self._timer.start(self.poll_interval, now=False)
        self._status = status
        if status is not None:
            status.subscribe(self)

    def _stop(self):
        if not self._running:
            return
        self._running = False
        status = self._status
        self._status = None
        if status is not None:
            try:
                status.unsubscribe(self)
            except Exception:
                pass
            try:
                for name in status.getBuilderNames():
                    status.getBuilder(name).unsubscribe(self)
            except Exception:
                pass
        if self._timer is not None:
            try:
                if self._timer.running:
                    self._timer.stop()
            except Exception:
                pass
            self._timer = None
        if self.link is not None:
            try:
                self.link.poll()
            except Exception:
                pass
            self.link.close()
        self.spool.close()
        self._ident_cache = {}

    # -- driving

    def poll(self):
        """Sends and receives what can be, without waiting. Called after
        every callback and by the timer; tests call it directly."""
        if not self._running or self.link is None or self._polling:
            return
        self._polling = True
        try:
            self.link.poll()
        finally:
            self._polling = False

    def _poll_quietly(self):
        try:
            self.poll()
        except Exception:
            self._problem("poll")

    def _problem(self, where):
        self.problems += 1
        n = self._problem_counts.get(where, 0)
        self._problem_counts[where] = n + 1
        if n < 10 or n % 1000 == 0:
            self._log("bbmirror: error in %s (ignored; %d so far):\n%s" %
                      (where, n + 1, traceback.format_exc()))

    def _subscription(self, name):
        if name == "buildStarted" and self.build_eta:
            return (self, self.build_eta)
        return self

    # -- events

    def _emit(self, name, items, when=None):
        """Numbers, spools and offers one event; items: list of (key,
        msgpack bytes)."""
        if not self._running:
            return None
        if when is None:
            when = self._clock()
        spool = self.spool
        fr = event_frame(spool.next_seq, when, name, items)
        if len(fr) - 4 > FRAME_MAX:
            self._log("bbmirror: %s event of %d bytes is too big for the "
                      "protocol: dropped" % (name, len(fr)))
            return None
        seq = spool.append(fr)
        if seq is None:
            return None
        if self.link is not None:
            self.link.offer(fr, spool.last_pos)
        return seq

    def _obj(self, obj):
        return self._packer.pack(obj)

    def _build_items(self, build):
        """The packed identity keys of a build (cached per live build)."""
        entry = self._ident_cache.get(id(build))
        if entry is not None and entry[0] is build:
            return entry[1]
        builder = build.getBuilder().getName()
        number = build.getNumber()
        started = None
        try:
            started = build.getTimes()[0]
        except Exception:
            started = getattr(build, "started", None)
        started = _epoch(started)
        b = bytearray()
        _pack_text(b, builder)
        n = bytearray()
        _pack_int(n, int(number))
        s = bytearray()
        if started is None:
            s.append(0xc0)
        else:
            _pack_float(s, started)
        items = [("builder", bytes(b)), ("number", bytes(n)),
                 ("started", bytes(s))]
        if started is not None:
            self._cache(build, items)
        return items

    def _cache(self, obj, value):
        if len(self._ident_cache) > 20000:
            self._ident_cache = {}
        self._ident_cache[id(obj)] = (obj, value)

    def _uncache(self, obj):
        entry = self._ident_cache.get(id(obj))
        if entry is not None and entry[0] is obj:
            del self._ident_cache[id(obj)]

    @staticmethod
    def _index(seq, obj):
        for i, x in enumerate(seq):
            if x is obj:
                return i
        return list(seq).index(obj)

    def _step_items(self, build, step):
        entry = self._ident_cache.get(id(step))
        if entry is not None and entry[0] is step:
            return entry[1]
        idx = self._index(build.getSteps(), step)
        b = bytearray()
        _pack_int(b, idx)
        items = self._build_items(build) + [("step", bytes(b))]
        self._cache(step, items)
        return items

    def _log_items(self, build, step, log):
        entry = self._ident_cache.get(id(log))
        if entry is not None and entry[0] is log:
            return entry[1]
        idx = self._index(step.getLogs(), log)
        b = bytearray()
        _pack_int(b, idx)
        items = self._step_items(build, step) + [("log", bytes(b))]
        self._cache(log, items)
        return items

    @staticmethod
    def _text_item(key, s):
        b = bytearray()
        _pack_text(b, s)
        return (key, bytes(b))

    @staticmethod
    def _eta_item(eta):
        b = bytearray()
        eta = _epoch(eta)
        if eta is None:
            b.append(0xc0)
        else:
            _pack_float(b, eta)
        return ("eta", bytes(b))

    # builders

    @_guarded(subscribe=True)
    def builderAdded(self, builderName, builder):
        self._emit("builderAdded", [self._text_item("builder", builderName),
                                    ("status", self._obj(builder))])

    @_guarded(subscribe=False)
    def builderChangedState(self, builderName, state):
        self._emit("builderChangedState",
                   [self._text_item("builder", builderName),
                    self._text_item("state", state)])

    @_guarded(subscribe=False)
    def builderRemoved(self, builderName):
        self._emit("builderRemoved",
                   [self._text_item("builder", builderName)])

    # builds

    @_guarded(subscribe=True)
    def buildStarted(self, builderName, build):
        self._emit("buildStarted",
                   self._build_items(build) + [("build", self._obj(build))])

    @_guarded(subscribe=False)
    def buildFinished(self, builderName, build, results):
        items = self._build_items(build) + [("build", self._obj(build)),
                                            ("results", self._obj(results))]
        self._emit("buildFinished", items)
        self._uncache(build)

    @_guarded(subscribe=False)
    def buildETAUpdate(self, build, ETA):
        self._emit("buildETAUpdate",
                   self._build_items(build) + [self._eta_item(ETA)])

    # steps

    @_guarded(subscribe=True)
    def stepStarted(self, build, step):
        self._emit("stepStarted", self._step_items(build, step) +
                   [("status", self._obj(step))])

    @_guarded(subscribe=False)
    def stepFinished(self, build, step, results):
        self._emit("stepFinished", self._step_items(build, step) +
                   [("status", self._obj(step)),
                    ("results", self._obj(results))])
        self._uncache(step)

    @_guarded(subscribe=False)
    def stepTextChanged(self, build, step, text):
        self._emit("stepTextChanged", self._step_items(build, step) +
                   [("status", self._obj(step)), ("text", self._obj(text))])

    @_guarded(subscribe=False)
    def stepText2Changed(self, build, step, text2):
        self._emit("stepText2Changed", self._step_items(build, step) +
                   [("status", self._obj(step)),
                    ("text2", self._obj(text2))])

    @_guarded(subscribe=False)
    def stepETAUpdate(self, build, step, ETA, expectations):
        self._emit("stepETAUpdate",
                   self._step_items(build, step) + [self._eta_item(ETA)])

    # logs

    @_guarded(subscribe=True)
    def logStarted(self, build, step, log):
        self._emit("logStarted", self._log_items(build, step, log) +
                   [("status", self._obj(log))])

    @_guarded(subscribe=False)
    def logChunk(self, build, step, log, channel, text):
        items = self._log_items(build, step, log)
        self._chunks(items, channel, text)

    def _chunks(self, items, channel, text):
        if not isinstance(text, _bytes_type):
            text = _utf8(text)
        c = bytearray()
        _pack_int(c, int(channel))
        ch = ("channel", bytes(c))
        when = self._clock()
        n = len(text)
        pos = 0
        while True:
            piece = text[pos:pos + CHUNK_SPLIT]
            pos += CHUNK_SPLIT
            b = bytearray()
            _pack_bin(b, piece)
            extra = [ch, ("text", bytes(b))]
            if pos < n:
                extra.append(("more", b"\xc3"))
            self._emit("logChunk", items + extra, when)
            if pos >= n:
                break

    @_guarded(subscribe=False)
    def logFinished(self, build, step, log):
        items = self._log_items(build, step, log)
        state = None
        if log.__class__.__name__ == "HTMLLogFile":
            # 0.8.9+: the HTML is only in the log file (stderr chunks) and
            # never reaches watchers; send it as the file has it.
            state = instance_state(log)
            if isinstance(state, dict) and "html" not in state and \
                    b"html" not in state and hasattr(log, "getChunks"):
                for channel, text in log.getChunks():
                    self._chunks(items, channel, text)
        self._emit("logFinished", items + [("status", self._obj(log))])
        self._uncache(log)

    # requests, buildsets, changes, slaves

    def _later(self, thunks, done):
        """Calls done(values) once every thunk's value is known: a thunk
        may return a Deferred (0.8 reads these from its database), which is
        waited for, never blocked on. A thunk that fails gives None."""
        values = [None] * len(thunks)
        pending = [1]

        def finish():
            pending[0] -= 1
            if pending[0] == 0:
                try:
                    done(values)
                except Exception:
                    self._problem("deferred event")
                self._poll_quietly()

        def setter(i):
            def cb(v):
                values[i] = None if _is_failure(v) else v
                finish()
                return None
            return cb
        for i, thunk in enumerate(thunks):
            try:
                v = thunk()
            except Exception:
                v = None
            if _is_deferred(v):
                pending[0] += 1
                v.addBoth(setter(i))
            else:
                values[i] = v
        finish()

    def _request_thunks(self, request):
        brdict = getattr(request, "_brdict", None) or {}

        def bsid():
            if "buildsetid" in brdict:
                return brdict["buildsetid"]
            if hasattr(request, "getBsid"):
                return request.getBsid()
            return getattr(request, "bsid", None)

        def builder():
            if hasattr(request, "getBuilderName"):
                return request.getBuilderName()
            return getattr(request, "buildername", None)

        def submitted():
            if "submitted_at" in brdict:
                return brdict["submitted_at"]
            return request.getSubmitTime()
        return [lambda: getattr(request, "brid", None), builder, submitted,
                bsid]

    def _request_map(self, v):
        brid, builder, submitted, bsid = v
        if builder is None or _utf8(builder) == b"":
            # The listener requires the builder: the event is useless.
            raise ValueError("build request %r without a builder name" %
                             (brid,))
        return {"brid": _count(brid), "builder": _unicode(builder),
                "submitted_at": _epoch(submitted), "bsid": _count(bsid)}

    @_guarded(subscribe=False)
    def requestSubmitted(self, request):
        when = self._clock()

        def done(v):
            self._emit("requestSubmitted",
                       [("request", self._obj(self._request_map(v)))], when)
        self._later(self._request_thunks(request), done)

    @_guarded(subscribe=False)
    def requestCancelled(self, builder, request):
        when = self._clock()
        name = builder
        if hasattr(builder, "getName"):
            name = builder.getName()

        def done(v):
            self._emit("requestCancelled",
                       [self._text_item("builder", name),
                        ("request", self._obj(self._request_map(v)))], when)
        self._later(self._request_thunks(request), done)

    @_guarded(subscribe=False)
    def buildsetSubmitted(self, buildset):
        when = self._clock()
        bsdict = getattr(buildset, "bsdict", None)
        if not isinstance(bsdict, dict):
            bsdict = {}
        bsid = bsdict.get("bsid", getattr(buildset, "id", None))

        def field(key, method):
            def thunk():
                if key in bsdict:
                    return bsdict[key]
                f = getattr(buildset, method, None)
                return f() if f is not None else None
            return thunk

        def properties():
            master = getattr(buildset, "master", None) or \
                getattr(getattr(buildset, "status", None), "master", None)
            db = getattr(master, "db", None)
            return db.buildsets.getBuildsetProperties(bsid)
        thunks = [field("reason", "getReason"),
                  field("external_idstring", "getID"),
                  field("submitted_at", "getSubmitTime"),
                  field("complete", "isFinished"),
                  field("complete_at", "getCompleteTime"),
                  field("results", "getResults"),
                  properties]

        def done(v):
            reason, ext, submitted, complete, complete_at, results, props = v
            if _count(bsid) is None:
                raise ValueError("buildset without a bsid: %r" % (bsid,))
            m = {"bsid": bsid,
                 "reason": None if reason is None else _unicode(reason),
                 "external_idstring": None if ext is None else _unicode(ext),
                 "submitted_at": _epoch(submitted),
                 "complete": bool(complete),
                 "complete_at": _epoch(complete_at),
                 "results": results if isinstance(results, _int_types) and
                 not isinstance(results, bool) and results >= -1 else None,
                 "properties": props if isinstance(props, dict) else {}}
            self._emit("buildsetSubmitted", [("buildset", self._obj(m))],
                       when)
        self._later(thunks, done)

    @_guarded(subscribe=False)
    def changeAdded(self, change):
        self._emit("changeAdded", [("change", self._obj(change))])

    @_guarded(subscribe=False)
    def slaveConnected(self, slaveName):
        self._emit("slaveConnected", [self._text_item("slave", slaveName)])

    @_guarded(subscribe=False)
    def slaveDisconnected(self, slaveName):
        self._emit("slaveDisconnected",
                   [self._text_item("slave", slaveName)])

    @_guarded(subscribe=False)
    def slavePaused(self, slaveName):
        self._emit("slavePaused", [self._text_item("slave", slaveName)])

    @_guarded(subscribe=False)
    def slaveUnpaused(self, slaveName):
        self._emit("slaveUnpaused", [self._text_item("slave", slaveName)])
