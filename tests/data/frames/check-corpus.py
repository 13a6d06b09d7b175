#!/usr/bin/env python3
"""check-corpus.py: sends the corpus of make-corpus.py to a running
bbmirrord and checks what happens.  Used by tests/integration/bad-frames.sh.

usage: check-corpus.py --socket PATH --db DB --pid PID [--timeout S]
                       [--only NAME] CORPUSDIR

For every case, on a connection of its own: the answer (an error frame
naming the problem and a close, or acks for an unknown event), that the
daemon is still running and answers a new connection, that the good events
sent before the bad input were committed (a new hello for the same master
gets last_seq >= their seq, and their rows are there), and that nothing of
the bad input was written (no builder, build, step, log, property, change
or slave row for the case's master).  All along, a well-behaved client on a
connection of its own (master "steady-client") sends buildsetSubmitted
events and reads their acks, next to two connections that stall (one says
nothing, one stops in the middle of a frame); at the end every one of the
steady client's events must be acked and stored.

Prints one "ok - ..." or "not ok - ..." line per check (the shell numbers
them) and "# ..." comments.
"""

import argparse
import errno
import json
import os
import re
import socket
import sqlite3
import sys
import threading
import time

# No __pycache__ in the source tree when run from make check.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from msgpack_mini import DecodeError, frame, unpack  # noqa: E402

STEADY = "steady-client"
FAILED = 0


def check(cond, name, detail=None):
    global FAILED
    if cond:
        print("ok - %s" % name)
    else:
        FAILED += 1
        print("not ok - %s" % name)
        if detail:
            for line in str(detail).splitlines():
                print("#   %s" % line)
    sys.stdout.flush()
    return cond


def comment(s):
    print("# %s" % s)
    sys.stdout.flush()


class Conn(object):
    """A client connection that reads whole frames."""

    def __init__(self, path, timeout):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.eof = False
        self.reset = False

    def send(self, data):
        """Sends data; False if the listener had closed already."""
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def half_close(self):
        try:
            self.s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def read(self, deadline):
        """The next message (a dict), None at end of stream, or raises
        socket.timeout after deadline."""
        while True:
            if len(self.buf) >= 4:
                n = int.from_bytes(self.buf[:4], "big")
                if len(self.buf) >= 4 + n:
                    payload = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    try:
                        return unpack(payload)
                    except DecodeError as e:
                        return {"type": "<undecodable>", "message": str(e)}
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except ConnectionResetError:
                data = b""
                self.reset = True
            if not data:
                self.eof = True
                if self.buf:
                    comment("%d stray bytes before the end of stream" %
                            len(self.buf))
                    self.buf = b""
                return None
            self.buf += data

    def close(self):
        self.s.close()


def hello_frame(master):
    return frame({"type": "hello", "version": 1, "master": master,
                  "client": "check-corpus"})


def welcome_of(path, master, timeout):
    """last_seq of a new hello for master, or an error string."""
    try:
        c = Conn(path, timeout)
    except OSError as e:
        return "connect: %s" % e
    try:
        c.send(hello_frame(master))
        m = c.read(time.monotonic() + timeout)
        if not isinstance(m, dict) or m.get("type") != "welcome":
            return "got %r" % (m,)
        return m.get("last_seq")
    except socket.timeout:
        return "timed out"
    finally:
        c.close()


class Steady(threading.Thread):
    """The well-behaved client: buildsetSubmitted events one after the
    other, paced, each ack awaited before going on far."""

    def __init__(self, path, timeout):
        threading.Thread.__init__(self)
        self.daemon = True
        self.path = path
        self.timeout = timeout
        self.stop = threading.Event()
        self.sent = 0
        self.acked = 0
        self.problem = None

    def run(self):
        try:
            c = Conn(self.path, self.timeout)
            c.send(hello_frame(STEADY))
            m = c.read(time.monotonic() + self.timeout)
            if not isinstance(m, dict) or m.get("type") != "welcome":
                self.problem = "no welcome: %r" % (m,)
                return
            base = m.get("last_seq") or 0
            self.sent = self.acked = base
            while not self.stop.is_set() or self.acked < self.sent:
                if not self.stop.is_set() and self.sent - self.acked < 20:
                    seq = self.sent + 1
                    c.send(frame({
                        "type": "event", "seq": seq, "time": 1.7e9 + seq,
                        "event": "buildsetSubmitted", "buildset": {
                            "bsid": seq, "reason": "steady %d" % seq,
                            "external_idstring": None,
                            "submitted_at": 1.7e9 + seq, "complete": False,
                            "complete_at": None, "results": None,
                            "properties": {}}}))
                    self.sent = seq
                    time.sleep(0.002)
                    continue
                m = c.read(time.monotonic() + self.timeout)
                if m is None:
                    self.problem = "the listener closed the connection"
                    return
                if m.get("type") == "ack":
                    self.acked = max(self.acked, m.get("seq", 0))
                else:
                    self.problem = "unexpected message %r" % (m,)
                    return
            c.close()
        except socket.timeout:
            self.problem = "timed out with %d sent, %d acked" % (
                self.sent, self.acked)
        except Exception as e:  # reported as a failed check
            self.problem = "%s: %s" % (type(e).__name__, e)


def table_exists(db, name):
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                      "AND name = ?", (name,)).fetchone() is not None


def rows_of(db, master):
    """Rows per table that belong to master (by its name)."""
    q = {
        "masters": "SELECT count(*) FROM masters WHERE name = :m",
        "builders": "SELECT count(*) FROM builders b JOIN masters m "
                    "ON m.id = b.master_id WHERE m.name = :m",
        "builds": "SELECT count(*) FROM builds x JOIN builders b "
                  "ON b.id = x.builder_id JOIN masters m "
                  "ON m.id = b.master_id WHERE m.name = :m",
        "steps": "SELECT count(*) FROM steps s JOIN builds x "
                 "ON x.id = s.build_id JOIN builders b "
                 "ON b.id = x.builder_id JOIN masters m "
                 "ON m.id = b.master_id WHERE m.name = :m",
        "logs": "SELECT count(*) FROM logs l JOIN steps s "
                "ON s.id = l.step_id JOIN builds x "
                "ON x.id = s.build_id JOIN builders b "
                "ON b.id = x.builder_id JOIN masters m "
                "ON m.id = b.master_id WHERE m.name = :m",
        "build_properties": "SELECT count(*) FROM build_properties p "
                            "JOIN builds x ON x.id = p.build_id "
                            "JOIN builders b ON b.id = x.builder_id "
                            "JOIN masters m ON m.id = b.master_id "
                            "WHERE m.name = :m",
        "changes": "SELECT count(*) FROM changes c JOIN masters m "
                   "ON m.id = c.master_id WHERE m.name = :m",
        "buildsets": "SELECT count(*) FROM buildsets c JOIN masters m "
                     "ON m.id = c.master_id WHERE m.name = :m",
        "buildrequests": "SELECT count(*) FROM buildrequests c "
                         "JOIN masters m ON m.id = c.master_id "
                         "WHERE m.name = :m",
        "slaves": "SELECT count(*) FROM slaves c JOIN masters m "
                  "ON m.id = c.master_id WHERE m.name = :m",
    }
    out = {}
    for t, sql in q.items():
        if not table_exists(db, t):
            continue
        out[t] = db.execute(sql, {"m": master}).fetchone()[0]
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    # A zombie is not alive.
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        pass
    return True


def run_case(a, cs, corpus, db):
    name = cs["name"]
    master = cs["master"]
    with open(os.path.join(corpus, cs["send"]), "rb") as f:
        data = f.read()
    comment("%s: %s (%d bytes)" % (name, cs["what"], len(data)))
    c = Conn(a.socket, a.timeout)
    c.send(data)
    if cs["expect"] == "close":
        c.half_close()
    deadline = time.monotonic() + a.timeout
    msgs = []
    closed = False
    try:
        while True:
            if cs["expect"] == "ack" and any(
                    m.get("type") == "ack" and
                    m.get("seq", 0) >= cs["bad_seq"] for m in msgs):
                break
            m = c.read(deadline)
            if m is None:
                closed = True
                break
            msgs.append(m)
    except socket.timeout:
        pass
    types = [m.get("type") for m in msgs]
    if cs["hello"]:
        check(types[:1] == ["welcome"] and msgs[0].get("last_seq") == 0,
              "%s: welcome with last_seq 0 first" % name, msgs[:1])
    errors = [m for m in msgs if m.get("type") == "error"]
    if cs["expect"] == "error":
        ok = check(len(errors) == 1, "%s: one error frame" % name,
                   "got %r" % (msgs,))
        if ok:
            msg = errors[0].get("message")
            comment("%s: error message: %r" % (name, msg))
            check(isinstance(msg, str) and
                  all(re.search(r, msg, re.I) for r in cs["match"]),
                  "%s: the message names the problem (%s)" % (
                      name, " and ".join(cs["match"])), repr(msg))
            if cs["bad_seq"] is not None:
                check(errors[0].get("seq") == cs["bad_seq"],
                      "%s: the error carries seq %d" % (name, cs["bad_seq"]),
                      "got %r" % (errors[0],))
            check(types[-1] == "error", "%s: nothing after the error" % name,
                  types)
        check(closed, "%s: the listener closed the connection" % name,
              "still open after %ss" % a.timeout)
    elif cs["expect"] == "close":
        check(closed, "%s: the listener closed the connection" % name,
              "still open after %ss" % a.timeout)
        check(all(m.get("type") in ("welcome", "ack", "error")
                  for m in msgs), "%s: only welcome/ack/error frames" % name,
              types)
        if errors:
            comment("%s: error message: %r" % (name,
                                                errors[0].get("message")))
    else:
        acked = any(m.get("type") == "ack" and
                    m.get("seq", 0) >= cs["bad_seq"] for m in msgs)
        check(acked and not errors and not closed,
              "%s: acknowledged, connection kept" % name, msgs)
        with open(os.path.join(corpus, cs["after"]), "rb") as f:
            c.send(f.read())
        got = False
        try:
            while True:
                m = c.read(time.monotonic() + a.timeout)
                if m is None or m.get("type") != "ack":
                    break
                if m.get("seq", 0) >= cs["bad_seq"] + 1:
                    got = True
                    break
        except socket.timeout:
            pass
        check(got, "%s: the next event is acknowledged too" % name)
    c.close()

    check(alive(a.pid), "%s: the daemon is still running" % name)
    # The good events were committed: a new connection of the same master
    # is told so (the commit may take until the next batch is due).
    want = cs["good"] if cs["expect"] != "ack" else cs["bad_seq"] + 1
    if cs["hello"]:
        deadline = time.monotonic() + a.timeout
        while True:
            last = welcome_of(a.socket, master, a.timeout)
            if not isinstance(last, int) or last >= want or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        top = want if cs["bad_seq"] is None or cs["expect"] == "ack" \
            else cs["bad_seq"]
        check(isinstance(last, int) and want <= last <= top,
              "%s: a new connection is welcomed with last_seq in %d..%d" %
              (name, want, top), "got %r" % (last,))
    else:
        last = welcome_of(a.socket, STEADY + "-probe", a.timeout)
        check(isinstance(last, int),
              "%s: a new connection is welcomed" % name, repr(last))

    rows = rows_of(db, master)
    want = {t: 0 for t in rows}
    if cs["hello"]:
        want["masters"] = 1
    if cs["good"] >= 1:
        want["buildsets"] = 1
    if cs["good"] >= 2:
        want["buildrequests"] = 1
    if cs["expect"] == "ack":
        want.pop("slaves", None)
        rows.pop("slaves", None)
    check(rows == want, "%s: the good events' rows and nothing else" % name,
          "got  %r\nwant %r" % (rows, want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--only")
    ap.add_argument("corpus")
    a = ap.parse_args()
    with open(os.path.join(a.corpus, "cases.json")) as f:
        cases = json.load(f)
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=30)

    # Connections that stall for the whole run: one that never says
    # hello, one stopped in the middle of a frame. Neither may hold up
    # anybody else.
    stalled = []
    try:
        c = Conn(a.socket, a.timeout)
        stalled.append(c)
        c = Conn(a.socket, a.timeout)
        c.send(hello_frame("stalled-client") + b"\0\0\1\0" + b"\x85")
        stalled.append(c)
    except OSError as e:
        check(False, "stalled connections opened", e)
    steady = Steady(a.socket, a.timeout)
    steady.start()
    for cs in cases:
        if a.only and cs["name"] != a.only:
            continue
        run_case(a, cs, a.corpus, db)
    steady.stop.set()
    steady.join(a.timeout * 2)
    check(steady.problem is None and not steady.is_alive(),
          "the concurrent well-behaved connection got every ack "
          "(%d events)" % steady.sent, steady.problem)
    for c in stalled:
        c.close()
    n = rows_of(db, STEADY).get("buildsets")
    check(n == steady.sent, "its %d buildsets are stored" % steady.sent,
          "got %r" % (n,))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
