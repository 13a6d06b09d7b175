#!/usr/bin/env python3
"""http-follow.py: follow latency of bbmirrord's log server, and a load of
log followers.

usage: http-follow.py latency --socket PATH --http HOST:PORT --db DB
                              [--lines N] [--interval S] [--followers K]
       http-follow.py followers --http HOST:PORT --db DB --count N
                              --until FILE

latency: runs the fake 0.8.12 master of tests/plugin/fakemaster.py with the
real plugin (plugin/bbmirror_status.py) connected to the daemon's socket,
starts one build with one log, attaches K followers (GET
/logs/ID?follow=1), then writes N lines to the log, one every S seconds.
Each line carries its sequence number; a follower notes when each line
arrives, and the latency of a line is the time from the master's addStdout
call (the plugin sends at once) to its arrival at the follower: plugin,
socket, decode, apply, commit, notify, read, HTTP. Prints one JSON line:
{"lines", "followers", "p50_ms", "p90_ms", "p99_ms", "max_ms",
"missing"}.

followers: keeps N followers busy until FILE exists: each picks a running
log (a row of live_logs, read from DB), follows it to its end, and starts
over; prints {"followers", "streams", "bytes"} at the end. One thread and
non-blocking sockets, so that the load costs the machine little.
"""

import argparse
import json
import os
import random
import socket
import sqlite3
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "plugin"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "plugin"))


def http_follow(hostport, path, on_data, stop=None):
    """GET path with a raw socket, calls on_data(bytes) for every body
    piece as it arrives (chunked framing removed). Returns the status."""
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (path, hostport)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    chunked = b"transfer-encoding: chunked" in head.lower()
    while True:
        if stop is not None and stop.is_set():
            break
        if chunked:
            while True:
                i = buf.find(b"\r\n")
                if i < 0:
                    break
                n = int(buf[:i].split(b";")[0], 16)
                if len(buf) < i + 2 + n + 2:
                    break
                if n == 0:
                    s.close()
                    return status
                on_data(buf[i + 2:i + 2 + n])
                buf = buf[i + 2 + n + 2:]
        else:
            if buf:
                on_data(buf)
            buf = b""
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return status


def log_id(db, builder):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        r = con.execute(
            "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id "
            "JOIN builds b ON b.id = s.build_id JOIN builders bl ON "
            "bl.id = b.builder_id WHERE bl.name = ? ORDER BY l.id DESC "
            "LIMIT 1", (builder,)).fetchone()
        return r[0] if r else None
    finally:
        con.close()


def latency(args):
    import bbmirror_status
    import fakemaster as fm

    spool = tempfile.mkdtemp(prefix="http-follow.")
    master = fm.FakeMaster(basedir=spool, write_files=False)
    b = master.add_builder("follow", ["bot1"])
    master.slave_connected(b"bot1")
    plugin = bbmirror_status.MirrorStatus(
        socket=args.socket, master="bench-follow", spool_dir=spool,
        log=lambda m: None, poll_interval=0)
    plugin.setServiceParent(master.status)

    def settle():
        sp = plugin.spool
        deadline = time.time() + 30
        while sp.acked < sp.next_seq - 1 and time.time() < deadline:
            plugin.poll()
            time.sleep(0.001)

    b.setBigState("building")
    s = b.newBuild()
    st = s.addStepWithName(b"run")
    s.setSlavename(b"bot1")
    s.buildStarted(s)
    st.stepStarted()
    log = st.addLog(b"stdio")
    log.addStdout(b"start\n")
    settle()
    lid = None
    deadline = time.time() + 10
    while lid is None and time.time() < deadline:
        lid = log_id(args.db, "follow")
        time.sleep(0.01)
    if lid is None:
        sys.stderr.write("http-follow: the log never appeared\n")
        return 1

    sent = {}
    arrived = [dict() for _ in range(args.followers)]
    threads = []
    for k in range(args.followers):
        pending = [b""]

        def on_data(d, k=k, pending=pending):
            now = time.monotonic()
            pending[0] += d
            *lines, pending[0] = pending[0].split(b"\n")
            for ln in lines:
                if ln.startswith(b"L"):
                    arrived[k].setdefault(int(ln[1:9]), now)
        t = threading.Thread(target=http_follow, args=(
            args.http, "/logs/%d?follow=1" % lid, on_data), daemon=True)
        t.start()
        threads.append(t)
    time.sleep(0.5)

    pad = b"x" * 60
    for i in range(args.lines):
        sent[i] = time.monotonic()
        log.addStdout(b"L%08d %s\n" % (i, pad))
        plugin.poll()
        end = time.monotonic() + args.interval
        while time.monotonic() < end:
            plugin.poll()
            time.sleep(0.0005)
    settle()
    time.sleep(0.5)
    log.finish()
    st.stepFinished(fm.SUCCESS if hasattr(fm, "SUCCESS") else 0)
    s.buildFinished()
    settle()
    for t in threads:
        t.join(10)
    plugin.disownServiceParent()

    lat = []
    missing = 0
    for k in range(args.followers):
        for i, t0 in sent.items():
            if i in arrived[k]:
                lat.append((arrived[k][i] - t0) * 1000.0)
            else:
                missing += 1
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) \
            if lat else None
    print(json.dumps({"lines": args.lines, "followers": args.followers,
                      "interval_s": args.interval, "p50_ms": pct(0.50),
                      "p90_ms": pct(0.90), "p99_ms": pct(0.99),
                      "max_ms": round(lat[-1], 3) if lat else None,
                      "missing": missing}, sort_keys=True))
    return 0 if missing == 0 else 1


def followers(args):
    """One thread, non-blocking sockets: the load generator must cost the
    machine as little as it can, since it shares the CPUs with the daemon."""
    import selectors

    host, port = args.http.rsplit(":", 1)
    sel = selectors.DefaultSelector()
    rng = random.Random(1)
    con = None
    streams = 0
    total = 0
    ids = []
    ids_at = 0.0
    idle = []           # slots waiting for a running log
    buf = bytearray(1 << 16)

    def start(slot):
        nonlocal ids, ids_at, con
        now = time.monotonic()
        if now - ids_at > 0.05:
            ids_at = now
            try:
                if con is None:
                    con = sqlite3.connect("file:%s?mode=ro" % args.db,
                                          uri=True)
                ids = [r[0] for r in con.execute(
                    "SELECT log_id FROM live_logs")]
            except sqlite3.Error:
                con = None
                ids = []
        if not ids:
            idle.append(slot)
            return
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, int(port)))
        req = ("GET /logs/%d?follow=1 HTTP/1.1\r\nHost: %s\r\n"
               "Connection: close\r\n\r\n" % (rng.choice(ids),
                                                 args.http)).encode()
        sel.register(s, selectors.EVENT_WRITE, (slot, req))

    for i in range(args.count):
        start(i)
    while not os.path.exists(args.until):
        if idle:
            waiting = idle[:]
            del idle[:]
            for slot in waiting:
                start(slot)
        for key, ev in sel.select(timeout=0.02):
            s = key.fileobj
            slot, req = key.data
            if ev & selectors.EVENT_WRITE:
                try:
                    s.send(req)
                except OSError:
                    sel.unregister(s)
                    s.close()
                    start(slot)
                    continue
                sel.modify(s, selectors.EVENT_READ, (slot, None))
                continue
            try:
                n = s.recv_into(buf)
            except OSError:
                n = 0
            if n:
                total += n
                continue
            sel.unregister(s)
            s.close()
            streams += 1
            start(slot)
    print(json.dumps({"followers": args.count, "streams": streams,
                      "bytes": total}, sort_keys=True))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("latency")
    a.add_argument("--socket", required=True)
    a.add_argument("--http", required=True)
    a.add_argument("--db", required=True)
    a.add_argument("--lines", type=int, default=200)
    a.add_argument("--interval", type=float, default=0.02)
    a.add_argument("--followers", type=int, default=1)
    f = sub.add_parser("followers")
    f.add_argument("--http", required=True)
    f.add_argument("--db", required=True)
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--until", required=True)
    args = ap.parse_args()
    return latency(args) if args.cmd == "latency" else followers(args)


if __name__ == "__main__":
    sys.exit(main())
