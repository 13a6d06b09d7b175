#!/usr/bin/env python3
"""ingest-baseline.py: the straightforward Python 3 listener that
bench/ingest compares bbmirrord against.

usage: ingest-baseline.py --socket PATH --db DB --logdir DIR
                          [--sync full|normal] [--quiet]

Speaks the listener's side of the wire protocol (lib/protocol.h) on a UNIX
socket, well enough for bbmirror-replay to drive it: a hello gets a
welcome with the master's last sequence number, every event is applied
and acknowledged.  Frames are read with a small msgpack decoder (the
`msgpack` module when it is installed, else the pure-Python one below);
every event is applied in a transaction of its own, committed before its
ack is sent (WAL, synchronous FULL or NORMAL as --sync says, like
bbmirrord's); builders, builds, steps, logs, properties, changes,
buildsets, requests and slaves become rows of a small schema, and log text
is appended to one file per log in the master's chunk format
(`len:channel text,`).  One thread per connection, one database
connection behind a lock.

It is honest, ordinary code: no batching of commits, no write-behind, no
clever buffering.  The point is to measure what the obvious approach costs.
SIGTERM or SIGINT stops it.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import sqlite3
import struct
import sys
import threading

try:
    import msgpack as _msgpack
except ImportError:
    _msgpack = None

SCHEMA = """
CREATE TABLE IF NOT EXISTS masters (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, basedir TEXT,
    last_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS builders (
    id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL, name TEXT NOT NULL,
    category TEXT, slavenames TEXT, state TEXT, UNIQUE (master_id, name));
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY, builder_id INTEGER NOT NULL,
    number INTEGER NOT NULL, started REAL, finished REAL, results INTEGER,
    text TEXT, reason TEXT, slave TEXT,
    UNIQUE (builder_id, number, started));
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY, build_id INTEGER NOT NULL,
    number INTEGER NOT NULL, name TEXT, started REAL, finished REAL,
    results INTEGER, text TEXT, text2 TEXT, UNIQUE (build_id, number));
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY, step_id INTEGER NOT NULL,
    number INTEGER NOT NULL, name TEXT, path TEXT, bytes INTEGER NOT NULL,
    complete INTEGER NOT NULL, UNIQUE (step_id, number));
CREATE TABLE IF NOT EXISTS properties (
    build_id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT, source TEXT,
    PRIMARY KEY (build_id, name));
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL, number INTEGER,
    author TEXT, comments TEXT, branch TEXT, revision TEXT, files TEXT,
    when_at REAL);
CREATE TABLE IF NOT EXISTS buildsets (
    id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL, bsid INTEGER,
    reason TEXT, submitted_at REAL, properties TEXT,
    UNIQUE (master_id, bsid));
CREATE TABLE IF NOT EXISTS buildrequests (
    id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL, brid INTEGER,
    builder TEXT, bsid INTEGER, submitted_at REAL, cancelled INTEGER,
    UNIQUE (master_id, brid));
CREATE TABLE IF NOT EXISTS slaves (
    id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL, name TEXT NOT NULL,
    connected INTEGER, paused INTEGER, UNIQUE (master_id, name));
"""


# --- msgpack ---------------------------------------------------------------

class Instance(object):
    """A Python object of the master: module, class name and its state."""

    def __init__(self, module, cls, state):
        self.module = module
        self.cls = cls
        self.state = state

    def get(self, key, default=None):
        if isinstance(self.state, dict):
            return self.state.get(key, default)
        return default


def _ext(code, data):
    if code == 1:
        v = unpack(data)
        return Instance(v[0], v[1], v[2] if len(v) > 2 else None)
    if code == 2:
        v = unpack(data)
        return "%s.%s" % (v[0], v[1])
    if code == 3:
        return int(data)
    return None


class Reader(object):
    """A pure-Python msgpack decoder."""

    def __init__(self, b):
        self.b = b
        self.i = 0

    def take(self, n):
        s = self.b[self.i:self.i + n]
        if len(s) != n:
            raise ValueError("truncated msgpack")
        self.i += n
        return s

    def value(self):
        c = self.take(1)[0]
        if c < 0x80:
            return c
        if c >= 0xe0:
            return c - 0x100
        if c < 0x90:
            return self.map(c & 0x0f)
        if c < 0xa0:
            return [self.value() for _ in range(c & 0x0f)]
        if c < 0xc0:
            return self.take(c & 0x1f).decode("utf-8")
        if c == 0xc0:
            return None
        if c == 0xc2:
            return False
        if c == 0xc3:
            return True
        if c in (0xc4, 0xc5, 0xc6):
            n = self.uint(1 << (c - 0xc4))
            return bytes(self.take(n))
        if c in (0xc7, 0xc8, 0xc9):
            n = self.uint(1 << (c - 0xc7))
            code = self.take(1)[0]
            return _ext(code, bytes(self.take(n)))
        if c == 0xca:
            return struct.unpack(">f", self.take(4))[0]
        if c == 0xcb:
            return struct.unpack(">d", self.take(8))[0]
        if 0xcc <= c <= 0xcf:
            return self.uint(1 << (c - 0xcc))
        if 0xd0 <= c <= 0xd3:
            n = 1 << (c - 0xd0)
            return int.from_bytes(self.take(n), "big", signed=True)
        if 0xd4 <= c <= 0xd8:
            code = self.take(1)[0]
            return _ext(code, bytes(self.take(1 << (c - 0xd4))))
        if c in (0xd9, 0xda, 0xdb):
            n = self.uint(1 << (c - 0xd9))
            return self.take(n).decode("utf-8")
        if c in (0xdc, 0xdd):
            return [self.value() for _ in range(self.uint(2 << (c - 0xdc)))]
        if c in (0xde, 0xdf):
            return self.map(self.uint(2 << (c - 0xde)))
        raise ValueError("bad msgpack byte 0x%02x" % c)

    def uint(self, n):
        return int.from_bytes(self.take(n), "big")

    def map(self, n):
        d = {}
        for _ in range(n):
            k = self.value()
            if isinstance(k, bytes):
                k = k.decode("utf-8", "replace")
            elif isinstance(k, list):
                k = tuple(k)
            d[k] = self.value()
        return d


def unpack(b):
    if _msgpack is not None:
        return _msgpack.unpackb(b, raw=False, ext_hook=_ext,
                                strict_map_key=False, use_list=True)
    r = Reader(b)
    v = r.value()
    if r.i != len(b):
        raise ValueError("trailing bytes in frame")
    return v


def pack_map(d):
    """msgpack of a flat map of str keys to str or non-negative int."""
    out = [bytes([0x80 | len(d)])]
    for k, v in d.items():
        for x in (k, v):
            if isinstance(x, str):
                e = x.encode()
                out.append(bytes([0xd9, len(e)]) + e if len(e) > 31
                           else bytes([0xa0 | len(e)]) + e)
            else:
                out.append(b"\xcf" + struct.pack(">Q", x))
    payload = b"".join(out)
    return struct.pack(">I", len(payload)) + payload


# --- the store ---------------------------------------------------------------

def text(v):
    """A Python 2 str (bytes) or unicode as str."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def js(v):
    def conv(x):
        if isinstance(x, bytes):
            return x.decode("utf-8", "replace")
        if isinstance(x, Instance):
            return {"__class__": x.cls, "state": conv(x.state)}
        if isinstance(x, dict):
            return {str(text(k)): conv(y) for k, y in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(y) for y in x]
        return x
    return json.dumps(conv(v), sort_keys=True)


def num(v):
    return v if isinstance(v, (int, float)) and v is not True else None


class Store(object):
    def __init__(self, path, logdir, sync):
        self.db = sqlite3.connect(path, check_same_thread=False,
                                  isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=%s" % sync.upper())
        self.db.executescript(SCHEMA)
        self.logdir = logdir
        self.lock = threading.Lock()
        os.makedirs(logdir, exist_ok=True)

    def master(self, name, basedir):
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO masters (name, basedir) "
                            "VALUES (?, ?)", (name, basedir))
            return self.db.execute("SELECT id, last_seq FROM masters WHERE "
                                   "name = ?", (name,)).fetchone()

    def apply(self, mid, ev):
        """Applies one event in a transaction of its own; returns False if
        it was a resend."""
        with self.lock:
            db = self.db
            db.execute("BEGIN")
            try:
                last = db.execute("SELECT last_seq FROM masters WHERE "
                                  "id = ?", (mid,)).fetchone()[0]
                if ev["seq"] <= last:
                    db.execute("ROLLBACK")
                    return False
                handler = getattr(self, "ev_" + str(ev.get("event")), None)
                if handler is not None:
                    handler(mid, ev)
                db.execute("UPDATE masters SET last_seq = ? WHERE id = ?",
                           (ev["seq"], mid))
                db.execute("COMMIT")
            except Exception:
                db.execute("ROLLBACK")
                raise
            return True

    def builder_id(self, mid, name):
        name = text(name)
        r = self.db.execute("SELECT id FROM builders WHERE master_id = ? AND "
                            "name = ?", (mid, name)).fetchone()
        if r:
            return r[0]
        return self.db.execute("INSERT INTO builders (master_id, name) "
                               "VALUES (?, ?)", (mid, name)).lastrowid

    def build_id(self, mid, ev):
        bid = self.builder_id(mid, ev.get("builder"))
        r = self.db.execute("SELECT id FROM builds WHERE builder_id = ? AND "
                            "number = ? AND started IS ?",
                            (bid, ev.get("number"), ev.get("started")))
        r = r.fetchone()
        if r:
            return r[0]
        return self.db.execute("INSERT INTO builds (builder_id, number, "
                               "started) VALUES (?, ?, ?)",
                               (bid, ev.get("number"),
                                ev.get("started"))).lastrowid

    def step_id(self, mid, ev):
        build = self.build_id(mid, ev)
        r = self.db.execute("SELECT id FROM steps WHERE build_id = ? AND "
                            "number = ?", (build, ev.get("step"))).fetchone()
        if r:
            return r[0]
        return self.db.execute("INSERT INTO steps (build_id, number) VALUES "
                               "(?, ?)", (build, ev.get("step"))).lastrowid

    def log_row(self, mid, ev):
        step = self.step_id(mid, ev)
        r = self.db.execute("SELECT id, path FROM logs WHERE step_id = ? AND "
                            "number = ?", (step, ev.get("log"))).fetchone()
        if r:
            return r
        path = os.path.join(self.logdir, "%d-%d-%d-%d" % (
            mid, step, ev.get("log"), ev.get("number")))
        lid = self.db.execute("INSERT INTO logs (step_id, number, path, "
                              "bytes, complete) VALUES (?, ?, ?, 0, 0)",
                              (step, ev.get("log"), path)).lastrowid
        return lid, path

    def ev_builderAdded(self, mid, ev):
        bid = self.builder_id(mid, ev.get("builder"))
        st = ev.get("status")
        if isinstance(st, Instance):
            self.db.execute("UPDATE builders SET category = ?, slavenames = ?"
                            " WHERE id = ?", (text(st.get("category")),
                                             js(st.get("slavenames")), bid))

    def ev_builderChangedState(self, mid, ev):
        self.db.execute("UPDATE builders SET state = ? WHERE id = ?",
                        (text(ev.get("state")),
                         self.builder_id(mid, ev.get("builder"))))

    def ev_builderRemoved(self, mid, ev):
        self.db.execute("UPDATE builders SET state = 'removed' WHERE id = ?",
                        (self.builder_id(mid, ev.get("builder")),))

    def ev_buildStarted(self, mid, ev):
        b = ev.get("build")
        bid = self.build_id(mid, ev)
        if not isinstance(b, Instance):
            return
        fin = b.get("finished")
        self.db.execute(
            "UPDATE builds SET finished = ?, results = ?, text = ?, "
            "reason = ?, slave = ? WHERE id = ?",
            (num(fin), num(ev.get("results", b.get("results"))),
             js(b.get("text")), text(b.get("reason")),
             text(b.get("slavename")), bid))
        for i, st in enumerate(b.get("steps") or []):
            if isinstance(st, Instance):
                self.put_step(bid, i, st)
        props = b.get("properties")
        if isinstance(props, Instance):
            props = props.get("properties")
        if isinstance(props, dict):
            for k, v in props.items():
                val, src = (v[0], v[1]) if isinstance(v, (list, tuple)) and \
                    len(v) == 2 else (v, None)
                self.db.execute("INSERT OR REPLACE INTO properties VALUES "
                                "(?, ?, ?, ?)", (bid, text(k), js(val),
                                                 text(src)))

    ev_buildFinished = ev_buildStarted

    def put_step(self, build, number, st):
        res = st.get("results")
        if isinstance(res, (list, tuple)):
            res = res[0] if res else None
        self.db.execute(
            "INSERT INTO steps (build_id, number, name, started, finished, "
            "results, text, text2) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (build_id, number) DO UPDATE SET name = "
            "excluded.name, started = excluded.started, finished = "
            "excluded.finished, results = excluded.results, text = "
            "excluded.text, text2 = excluded.text2",
            (build, number, text(st.get("name")), num(st.get("started")),
             num(st.get("finished")), num(res), js(st.get("text")),
             js(st.get("text2"))))

    def step_event(self, mid, ev):
        st = ev.get("status")
        if isinstance(st, Instance):
            self.put_step(self.build_id(mid, ev), ev.get("step"), st)

    ev_stepStarted = ev_stepFinished = step_event
    ev_stepTextChanged = ev_stepText2Changed = step_event

    def ev_logStarted(self, mid, ev):
        lid, _ = self.log_row(mid, ev)
        st = ev.get("status")
        if isinstance(st, Instance):
            self.db.execute("UPDATE logs SET name = ? WHERE id = ?",
                            (text(st.get("name")), lid))

    def ev_logChunk(self, mid, ev):
        lid, path = self.log_row(mid, ev)
        t = ev.get("text")
        if isinstance(t, str):
            t = t.encode("utf-8")
        with open(path, "ab") as f:
            f.write(b"%d:%d" % (len(t) + 1, ev.get("channel")) + t + b",")
        self.db.execute("UPDATE logs SET bytes = bytes + ? WHERE id = ?",
                        (len(t), lid))

    def ev_logFinished(self, mid, ev):
        lid, _ = self.log_row(mid, ev)
        self.db.execute("UPDATE logs SET complete = 1 WHERE id = ?", (lid,))

    def ev_requestSubmitted(self, mid, ev):
        r = ev.get("request") or {}
        self.db.execute(
            "INSERT OR REPLACE INTO buildrequests (master_id, brid, builder, "
            "bsid, submitted_at, cancelled) VALUES (?, ?, ?, ?, ?, 0)",
            (mid, r.get("brid"), text(r.get("builder")), r.get("bsid"),
             num(r.get("submitted_at"))))

    def ev_requestCancelled(self, mid, ev):
        r = ev.get("request") or {}
        self.db.execute("UPDATE buildrequests SET cancelled = 1 WHERE "
                        "master_id = ? AND brid = ?", (mid, r.get("brid")))

    def ev_buildsetSubmitted(self, mid, ev):
        b = ev.get("buildset") or {}
        self.db.execute(
            "INSERT OR REPLACE INTO buildsets (master_id, bsid, reason, "
            "submitted_at, properties) VALUES (?, ?, ?, ?, ?)",
            (mid, b.get("bsid"), text(b.get("reason")),
             num(b.get("submitted_at")), js(b.get("properties"))))

    def ev_changeAdded(self, mid, ev):
        c = ev.get("change")
        if not isinstance(c, Instance):
            return
        self.db.execute(
            "INSERT INTO changes (master_id, number, author, comments, "
            "branch, revision, files, when_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "?)", (mid, c.get("number"), text(c.get("who")),
                   text(c.get("comments")), text(c.get("branch")),
                   text(str(c.get("revision"))), js(c.get("files")),
                   num(c.get("when"))))

    def slave(self, mid, ev, connected=None, paused=None):
        name = text(ev.get("slave"))
        self.db.execute("INSERT OR IGNORE INTO slaves (master_id, name, "
                        "connected, paused) VALUES (?, ?, 0, 0)", (mid, name))
        if connected is not None:
            self.db.execute("UPDATE slaves SET connected = ? WHERE "
                            "master_id = ? AND name = ?",
                            (connected, mid, name))
        if paused is not None:
            self.db.execute("UPDATE slaves SET paused = ? WHERE "
                            "master_id = ? AND name = ?", (paused, mid, name))

    def ev_slaveConnected(self, mid, ev):
        self.slave(mid, ev, connected=1)

    def ev_slaveDisconnected(self, mid, ev):
        self.slave(mid, ev, connected=0)

    def ev_slavePaused(self, mid, ev):
        self.slave(mid, ev, paused=1)

    def ev_slaveUnpaused(self, mid, ev):
        self.slave(mid, ev, paused=0)


# --- the server --------------------------------------------------------------

class Handler(socketserver.BaseRequestHandler):
    def read_exact(self, n):
        out = b""
        while len(out) < n:
            b = self.request.recv(n - len(out))
            if not b:
                return None
            out += b
        return out

    def send(self, d):
        self.request.sendall(pack_map(d))

    def handle(self):
        store = self.server.store
        mid = None
        while True:
            h = self.read_exact(4)
            if h is None:
                return
            n = struct.unpack(">I", h)[0]
            if n == 0 or n > 16 << 20:
                self.send({"type": "error", "message": "bad frame length"})
                return
            payload = self.read_exact(n)
            if payload is None:
                return
            try:
                m = unpack(payload)
                kind = m.get("type")
                if kind == "hello":
                    mid, last = store.master(text(m.get("master")),
                                             text(m.get("basedir")))
                    self.send({"type": "welcome", "version": 1,
                               "last_seq": last})
                elif kind == "event" and mid is not None:
                    store.apply(mid, m)
                    self.send({"type": "ack", "seq": m["seq"]})
                else:
                    raise ValueError("unexpected %r" % (kind,))
            except Exception as e:
                if not self.server.quiet:
                    print("ingest-baseline: %s" % e, file=sys.stderr)
                self.send({"type": "error", "message": str(e)})
                return


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--sync", choices=("full", "normal"), default="full")
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args()
    if os.path.exists(a.socket):
        os.unlink(a.socket)
    srv = Server(a.socket, Handler)
    srv.store = Store(a.db, a.logdir, a.sync)
    srv.quiet = a.quiet

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ingest-baseline: listening on %s (msgpack: %s)" % (
        a.socket, "module" if _msgpack else "pure Python"), file=sys.stderr)
    srv.serve_forever()
    srv.server_close()
    os.unlink(a.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
