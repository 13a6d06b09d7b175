# -*- coding: utf-8 -*-
"""helpers.py: TAP output, a msgpack decoder written independently of the
plugin's, and FakeListener, a bbmirrord stand-in for the plugin tests.
Python 2.7 and 3."""

import errno
import os
import socket
import struct
import sys
import traceback

PY3 = sys.version_info[0] >= 3


class Tap(object):
    def __init__(self, prefix=""):
        self.n = 0
        self.failed = 0
        self.prefix = prefix

    def ok(self, cond, name):
        self.n += 1
        if cond:
            print("ok %d - %s%s" % (self.n, self.prefix, name))
        else:
            self.failed += 1
            print("not ok %d - %s%s" % (self.n, self.prefix, name))
            where = traceback.extract_stack()[-2]
            print("#   at %s line %d" % (os.path.basename(where[0]),
                                         where[1]))
        sys.stdout.flush()
        return bool(cond)

    def is_(self, got, want, name):
        if not self.ok(got == want, name):
            print("#   got:  %r" % (got,))
            print("#   want: %r" % (want,))
        return got == want

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------
# An independent msgpack decoder (from the msgpack specification), strict:
# it rejects what protocol.h does not allow the plugin to send.

class Ext(object):
    def __init__(self, code, data):
        self.code = code
        self.data = data

    def __eq__(self, other):
        return isinstance(other, Ext) and self.code == other.code and \
            self.data == other.data

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.code, self.data))

    def __repr__(self):
        return "Ext(%d, %r)" % (self.code, self.data)


class Inst(object):
    """An ext 1 value decoded: module, name, state."""

    def __init__(self, module, name, state):
        self.module = module
        self.name = name
        self.state = state

    def __eq__(self, other):
        return isinstance(other, Inst) and (self.module, self.name,
                                            self.state) == \
            (other.module, other.name, other.state)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Inst(%r, %r, %r)" % (self.module, self.name, self.state)


class Glob(object):
    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Glob) and (self.module, self.name) == \
            (other.module, other.name)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Glob(%r, %r)" % (self.module, self.name)


class Long(object):
    def __init__(self, digits):
        self.digits = digits

    def __eq__(self, other):
        return isinstance(other, Long) and self.digits == other.digits

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Long(%r)" % (self.digits,)


class Decoder(object):
    """decode(bytes) -> value: str as text, bin as bytes, maps as dicts
    (list keys become tuples), ext 1/2/3 as Inst/Glob/Long, other ext as
    Ext. raw_ext=True keeps every ext as Ext."""

    def __init__(self, raw_ext=False):
        self.raw_ext = raw_ext

    MAX_NEST = 32       # arrays and maps in one object (doc/protocol.md)

    def decode(self, data):
        self.b = bytearray(data)
        self.p = 0
        self.nest = 0
        v = self.value()
        if self.p != len(self.b):
            raise ValueError("trailing bytes")
        return v

    def take(self, n):
        if self.p + n > len(self.b):
            raise ValueError("truncated")
        s = bytes(self.b[self.p:self.p + n])
        self.p += n
        return s

    def u(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self):
        t = self.u(">B")
        if t <= 0x7f:
            return t
        if t >= 0xe0:
            return t - 256
        if 0x80 <= t <= 0x8f:
            return self.map(t & 15)
        if 0x90 <= t <= 0x9f:
            return self.array(t & 15)
        if 0xa0 <= t <= 0xbf:
            return self.take(t & 31).decode("utf-8")
        simple = {0xc0: None, 0xc2: False, 0xc3: True}
        if t in simple:
            return simple[t]
        ints = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b",
                0xd1: ">h", 0xd2: ">i", 0xd3: ">q", 0xcb: ">d", 0xca: ">f"}
        if t in ints:
            return self.u(ints[t])
        if t in (0xd9, 0xda, 0xdb):
            n = self.u({0xd9: ">B", 0xda: ">H", 0xdb: ">I"}[t])
            return self.take(n).decode("utf-8")
        if t in (0xc4, 0xc5, 0xc6):
            n = self.u({0xc4: ">B", 0xc5: ">H", 0xc6: ">I"}[t])
            return self.take(n)
        if t in (0xdc, 0xdd):
            return self.array(self.u({0xdc: ">H", 0xdd: ">I"}[t]))
        if t in (0xde, 0xdf):
            return self.map(self.u({0xde: ">H", 0xdf: ">I"}[t]))
        if t in (0xd4, 0xd5, 0xd6, 0xd7, 0xd8):
            n = {0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}[t]
            code = self.u(">b")
            return self.ext(code, self.take(n))
        if t in (0xc7, 0xc8, 0xc9):
            n = self.u({0xc7: ">B", 0xc8: ">H", 0xc9: ">I"}[t])
            code = self.u(">b")
            return self.ext(code, self.take(n))
        raise ValueError("bad type byte 0x%02x" % t)

    def enter(self):
        self.nest += 1
        if self.nest > self.MAX_NEST:
            raise ValueError("more than %d nested arrays and maps" %
                             self.MAX_NEST)

    def array(self, n):
        self.enter()
        v = [self.value() for _ in range(n)]
        self.nest -= 1
        return v

    def map(self, n):
        self.enter()
        d = {}
        for _ in range(n):
            k = self.value()
            v = self.value()
            if isinstance(k, list):
                k = tuple(k)
            d[k] = v
        self.nest -= 1
        return d

    def ext(self, code, data):
        if self.raw_ext:
            return Ext(code, data)
        sub = Decoder().decode(data) if code in (1, 2) else None
        if code == 1:
            if not (isinstance(sub, list) and len(sub) == 3):
                raise ValueError("ext 1 is not [module, name, state]")
            return Inst(sub[0], sub[1], sub[2])
        if code == 2:
            if not (isinstance(sub, list) and len(sub) == 2):
                raise ValueError("ext 2 is not [module, name]")
            return Glob(sub[0], sub[1])
        if code == 3:
            return Long(data.decode("ascii"))
        return Ext(code, data)


def decode(data, raw_ext=False):
    return Decoder(raw_ext).decode(data)


def frames(data):
    """The payloads of concatenated frames; raises on a bad or partial one."""
    out = []
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("partial header at %d" % pos)
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        if n == 0 or pos + 4 + n > len(data):
            raise ValueError("bad frame at %d" % pos)
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def read_recording(path):
    """Decoded messages of a recording file."""
    with open(path, "rb") as f:
        return [decode(p) for p in frames(f.read())]


def spool_files(d):
    return sorted(n for n in os.listdir(d) if n.endswith(".spool"))


def read_spool(d):
    msgs = []
    for n in spool_files(d):
        msgs.extend(read_recording(os.path.join(d, n)))
    return msgs


# ---------------------------------------------------------------------------
# A minimal msgpack encoder for the listener's replies.

def _enc_str(s):
    b = s.encode("utf-8")
    if len(b) < 32:
        return struct.pack(">B", 0xa0 | len(b)) + b
    return struct.pack(">BI", 0xdb, len(b)) + b


def _enc(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return struct.pack(">B", v)
        return struct.pack(">Bq", 0xd3, v)
    if isinstance(v, str) or (not PY3 and isinstance(v, unicode)):  # noqa
        return _enc_str(v)
    if isinstance(v, dict):
        out = struct.pack(">B", 0x80 | len(v))
        for k, x in v.items():
            out += _enc(k) + _enc(x)
        return out
    raise TypeError(v)


def reply(msg):
    p = _enc(msg)
    return struct.pack(">I", len(p)) + p


# ---------------------------------------------------------------------------

class FakeListener(object):
    """A non-blocking bbmirrord stand-in driven by poll(): answers a hello
    with a welcome carrying last_seq, records events, and like the real one
    skips events <= last_seq, commits and acknowledges (ack=True). refuse
    maps a seq to an error message sent back instead (then closes)."""

    def __init__(self, path=None, tcp=False, last_seq=0, ack=True):
        if tcp:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        else:
            if os.path.exists(path):
                os.unlink(path)
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(path)
            self.address = path
        self.path = path
        self.sock.listen(5)
        self.sock.setblocking(0)
        self.conns = []
        self.last_seq = last_seq
        self.ack = ack
        self.hellos = []
        self.events = []        # applied (seq > last_seq) in order
        self.received = []      # every event frame received
        self.pending = []       # received, not committed
        self.refuse = {}
        self.accepts = 0
        self.welcome = True

    def close(self):
        self.drop_connections()
        self.sock.close()
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)

    def drop_connections(self):
        """A crash: connections closed, uncommitted events lost."""
        for c in self.conns:
            c[0].close()
        self.conns = []
        self.pending = []

    def poll(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except socket.error as e:
                if e.args[0] in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                raise
            c.setblocking(0)
            self.accepts += 1
            self.conns.append([c, bytearray(), bytearray()])
        for conn in list(self.conns):
            self._read(conn)
        for conn in list(self.conns):
            self._flush(conn)

    def _send(self, conn, msg):
        conn[2] += reply(msg)

    def _flush(self, conn):
        while conn[2]:
            try:
                n = conn[0].send(bytes(conn[2]))
            except socket.error as e:
                if e.args[0] in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                n = len(conn[2])
            del conn[2][:n]

    def _read(self, conn):
        c, buf = conn[0], conn[1]
        eof = False
        while True:
            try:
                data = c.recv(1 << 20)
            except socket.error as e:
                if e.args[0] in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                data = b""
            if not data:
                eof = True
                break
            buf += data
        self._frames(conn)
        if eof and conn in self.conns:
            c.close()
            self.conns.remove(conn)

    def _frames(self, conn):
        c, buf = conn[0], conn[1]
        while len(buf) >= 4:
            n = struct.unpack(">I", bytes(buf[:4]))[0]
            if len(buf) < 4 + n:
                break
            msg = decode(bytes(buf[4:4 + n]))
            del buf[:4 + n]
            if msg["type"] == "hello":
                self.hellos.append(msg)
                if self.welcome:
                    self._send(conn, {"type": "welcome", "version": 1,
                                      "last_seq": self.last_seq})
                continue
            self.received.append(msg)
            seq = msg["seq"]
            if seq in self.refuse:
                self._send(conn, {"type": "error", "seq": seq,
                                  "message": self.refuse.pop(seq)})
                c.setblocking(1)
                c.sendall(bytes(conn[2]))
                c.close()
                self.conns.remove(conn)
                return
            top = self.pending[-1]["seq"] if self.pending else self.last_seq
            if seq <= top:
                continue
            self.pending.append(msg)
        if self.ack and self.pending:
            self.commit()

    def commit(self, seq=None):
        """Commits the pending events up to seq (all) and acks them."""
        if seq is None:
            if not self.pending:
                return
            seq = self.pending[-1]["seq"]
        while self.pending and self.pending[0]["seq"] <= seq:
            self.events.append(self.pending.pop(0))
        self.last_seq = max(self.last_seq, seq)
        for conn in self.conns:
            self._send(conn, {"type": "ack", "seq": seq})
