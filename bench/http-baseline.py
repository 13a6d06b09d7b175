#!/usr/bin/env python3
"""http-baseline.py: the straightforward Python 3 JSON API that bench/http
compares bbmirrord's /api/v1 against.

usage: http-baseline.py --db DB --port PORT

Serves, from a bbmirror SQLite database, the two requests bench/http loads:

  GET /api/v1/builds?limit=N      the N newest builds with their builder
  GET /api/v1/builds/ID           one build with its steps and properties

with the standard library only: http.server's ThreadingHTTPServer (a thread
per connection), one sqlite3 connection per thread, json.dumps. It is
honest, ordinary code, the obvious way to put a database behind HTTP:
nothing cached, nothing precomputed. SIGTERM stops it.
"""

import argparse
import json
import signal
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCAL = threading.local()
DB = None


def db():
    con = getattr(LOCAL, "con", None)
    if con is None:
        con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
        con.row_factory = sqlite3.Row
        LOCAL.con = con
    return con


def build_list(limit):
    rows = db().execute(
        "SELECT b.id, b.number, bl.name AS builder, b.started_at, "
        "b.finished_at, b.results, b.slave, b.reason FROM builds b "
        "JOIN builders bl ON bl.id = b.builder_id "
        "ORDER BY b.started_at DESC, b.id DESC LIMIT ?", (limit,))
    return {"items": [dict(r) for r in rows]}


def build_one(build_id):
    con = db()
    r = con.execute(
        "SELECT b.id, b.number, bl.name AS builder, b.started_at, "
        "b.finished_at, b.results, b.slave, b.reason FROM builds b "
        "JOIN builders bl ON bl.id = b.builder_id WHERE b.id = ?",
        (build_id,)).fetchone()
    if r is None:
        return None
    out = dict(r)
    out["steps"] = []
    for s in con.execute("SELECT id, number, name, started_at, "
                         "finished_at, results FROM steps WHERE "
                         "build_id = ? ORDER BY number", (build_id,)):
        step = dict(s)
        step["logs"] = [dict(l) for l in con.execute(
            "SELECT id, name, state, text_bytes, lines FROM logs "
            "WHERE step_id = ? ORDER BY number", (s["id"],))]
        out["steps"].append(step)
    out["properties"] = {p["name"]: json.loads(p["value"])
                         if p["value"] is not None else None
                         for p in con.execute(
                             "SELECT name, value FROM build_properties "
                             "WHERE build_id = ?", (build_id,))}
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "builds"] and len(parts) == 3:
            q = parse_qs(u.query)
            limit = int(q.get("limit", ["50"])[0])
            return self.reply(200, build_list(limit))
        if parts[:3] == ["api", "v1", "builds"] and len(parts) == 4:
            b = build_one(int(parts[3]))
            if b is None:
                return self.reply(404, {"error": "not found"})
            return self.reply(200, b)
        return self.reply(404, {"error": "not found"})


def main():
    global DB
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    DB = args.db
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
