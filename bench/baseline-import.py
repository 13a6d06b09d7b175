#!/usr/bin/env python3
"""baseline-import.py: the straightforward Python 3 importer that
bench/import compares bbmirror-import against.

usage: baseline-import.py --db DB --logdir DIR [--quiet] BASEDIR

Walks a Buildbot 0.7/0.8 master base directory; every directory holding
build pickles (files named by a decimal number) is a builder.  Each build
pickle is loaded with pickle.Unpickler(encoding="bytes") whose find_class
records the class name and hands back a generic class, so no Buildbot code
is needed and nothing from the file is executed.  Builds, steps, logs and
properties become rows of a small SQLite schema (WAL, synchronous=NORMAL,
like bbmirror's store), one transaction per build;
each log file is read (.bz2, then .gz, then raw, as Buildbot does), its chunk
stream parsed for sizes and line counts, and stored zlib-compressed under
the log directory.  Builds already in the database are skipped, so a second
run only walks the tree.

It is honest, ordinary code: no worker processes, no mmap tricks, no
batching across builds.  The point is to measure what the obvious approach
costs.
"""

import argparse
import bz2
import gzip
import json
import os
import pickle
import re
import sqlite3
import sys
import time
import zlib

SCHEMA = """
CREATE TABLE IF NOT EXISTS builders (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, builddir TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY, builder_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    started REAL, finished REAL, results INTEGER, text TEXT, reason TEXT,
    slave TEXT, UNIQUE (builder_id, number));
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY, build_id INTEGER NOT NULL, number INTEGER NOT NULL,
    name TEXT, started REAL, finished REAL, results INTEGER, text TEXT);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY, step_id INTEGER NOT NULL, name TEXT,
    filename TEXT, state TEXT NOT NULL, path TEXT, stream_bytes INTEGER,
    text_bytes INTEGER, lines INTEGER);
CREATE TABLE IF NOT EXISTS properties (
    build_id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT, source TEXT);
"""

BUILD_RE = re.compile(r"^[0-9]+$")


class Obj(object):
    """Stand-in for every class a pickle names."""
    bb_class = "?"
    args = ()
    state = None

    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.state = state

    def get(self, key, default=None):
        if isinstance(self.state, dict):
            return self.state.get(key, default)
        return default


class Loader(pickle.Unpickler):
    classes = {}

    def find_class(self, module, name):
        key = "%s.%s" % (module, name)
        cls = self.classes.get(key)
        if cls is None:
            cls = type(name, (Obj,), {"bb_class": key})
            self.classes[key] = cls
        return cls


def load_pickle(path):
    with open(path, "rb") as f:
        return Loader(f, encoding="bytes").load()


def text(v):
    """A pickled str (bytes) or unicode as text."""
    if v is None:
        return None
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("latin-1")
    return str(v)


def plain(v):
    """A pickled value as something json can write."""
    if isinstance(v, bytes):
        return text(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {text(k) if isinstance(k, bytes) else str(k): plain(x)
                for k, x in v.items()}
    if isinstance(v, Obj):
        if v.bb_class in ("__builtin__.set", "__builtin__.frozenset"):
            return plain(v.args[0]) if v.args else []
        return "<%s>" % v.bb_class
    return v


def time_value(v):
    if v is True or v is False:
        return None
    return v


def properties(build):
    props = build.get(b"properties")
    out = []
    if isinstance(props, dict):
        for name, value in props.items():
            out.append((text(name), plain(value),
                        "Upgrade from previous version"))
    elif isinstance(props, Obj):
        for name, pair in (props.get(b"properties") or {}).items():
            if isinstance(pair, tuple) and len(pair) == 2:
                out.append((text(name), plain(pair[0]), text(pair[1])))
            else:
                out.append((text(name), plain(pair), None))
    return out


def read_log(bdir, filename):
    """(state, bytes) of a log file, looking for .bz2, .gz, then raw."""
    base = os.path.join(bdir, filename)
    try:
        with bz2.open(base + ".bz2", "rb") as f:
            return "bz2", f.read()
    except FileNotFoundError:
        pass
    try:
        with gzip.open(base + ".gz", "rb") as f:
            return "gz", f.read()
    except FileNotFoundError:
        pass
    try:
        with open(base, "rb") as f:
            return "raw", f.read()
    except FileNotFoundError:
        return "missing", None


def chunk_stats(data):
    """(payload bytes, newlines in stdout/stderr) of a chunk stream; stops
    at the first malformed or incomplete chunk."""
    pos = 0
    payload = 0
    lines = 0
    end = len(data)
    while pos < end:
        colon = data.find(b":", pos, pos + 12)
        if colon < 0:
            break
        try:
            size = int(data[pos:colon])
        except ValueError:
            break
        if size < 1 or colon + 2 + size > end or \
                data[colon + 1 + size] != 0x2c:
            break
        payload += size - 1
        if data[colon + 1] in (0x30, 0x31):
            lines += data.count(b"\n", colon + 2, colon + 1 + size)
        pos = colon + 2 + size
    return payload, lines


class Importer(object):
    def __init__(self, db, logdir):
        self.db = db
        self.logdir = logdir
        self.stats = {"builds": 0, "skipped": 0, "failed": 0, "steps": 0,
                      "logs": 0, "missing": 0, "log_bytes": 0}

    def builder_dirs(self, basedir):
        for d, dirs, files in os.walk(basedir):
            dirs.sort()
            numbers = sorted(int(f) for f in files if BUILD_RE.match(f))
            if numbers:
                yield d, numbers

    def builder_id(self, basedir, bdir, numbers):
        rel = os.path.relpath(bdir, basedir)
        row = self.db.execute("SELECT id FROM builders WHERE builddir = ?",
                              (rel,)).fetchone()
        if row:
            return row[0]
        name = None
        try:
            name = text(load_pickle(os.path.join(bdir, "builder"))
                        .get(b"name"))
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
        if name is None:
            try:
                build = load_pickle(os.path.join(bdir, str(numbers[0])))
                for pname, value, source in properties(build):
                    if pname == "buildername":
                        name = value
            except (OSError, pickle.UnpicklingError, EOFError):
                pass
        with self.db:
            cur = self.db.execute("INSERT INTO builders (name, builddir) "
                                  "VALUES (?, ?)", (name or rel, rel))
        return cur.lastrowid

    def import_build(self, bid, bdir, number):
        if self.db.execute("SELECT 1 FROM builds WHERE builder_id = ? AND "
                           "number = ?", (bid, number)).fetchone():
            self.stats["skipped"] += 1
            return
        try:
            build = load_pickle(os.path.join(bdir, str(number)))
        except Exception as e:  # a corrupt pickle can raise almost anything
            sys.stderr.write("baseline-import: %s/%d: %s\n"
                             % (bdir, number, e))
            self.stats["failed"] += 1
            return
        outdir = os.path.join(self.logdir, str(bid))
        os.makedirs(outdir, exist_ok=True)
        with self.db:
            cur = self.db.execute(
                "INSERT INTO builds (builder_id, number, started, finished, "
                "results, text, reason, slave) VALUES (?,?,?,?,?,?,?,?)",
                (bid, number, time_value(build.get(b"started")),
                 time_value(build.get(b"finished")), build.get(b"results"),
                 json.dumps(plain(build.get(b"text") or [])),
                 text(build.get(b"reason")), text(build.get(b"slavename"))))
            build_id = cur.lastrowid
            self.db.executemany(
                "INSERT INTO properties VALUES (?, ?, ?, ?)",
                [(build_id, n, json.dumps(v), s)
                 for n, v, s in properties(build)])
            for i, step in enumerate(build.get(b"steps") or []):
                results = step.get(b"results")
                if isinstance(results, tuple):
                    results = results[0]
                cur = self.db.execute(
                    "INSERT INTO steps (build_id, number, name, started, "
                    "finished, results, text) VALUES (?,?,?,?,?,?,?)",
                    (build_id, i, text(step.get(b"name")),
                     time_value(step.get(b"started")),
                     time_value(step.get(b"finished")), results,
                     json.dumps(plain(step.get(b"text") or []))))
                step_id = cur.lastrowid
                self.stats["steps"] += 1
                for j, log in enumerate(step.get(b"logs") or []):
                    self.import_log(step_id, bdir, outdir, number, i, j, log)
        self.stats["builds"] += 1

    def import_log(self, step_id, bdir, outdir, number, i, j, log):
        filename = text(log.get(b"filename"))
        state, data = ("missing", None)
        if filename:
            state, data = read_log(bdir, filename)
        path = None
        payload = lines = None
        if data is not None:
            payload, lines = chunk_stats(data)
            path = os.path.join(outdir, "%d-%d-%d.z" % (number, i, j))
            with open(path, "wb") as f:
                f.write(zlib.compress(data))
            self.stats["log_bytes"] += len(data)
        else:
            self.stats["missing"] += 1
        self.db.execute(
            "INSERT INTO logs (step_id, name, filename, state, path, "
            "stream_bytes, text_bytes, lines) VALUES (?,?,?,?,?,?,?,?)",
            (step_id, text(log.get(b"name")), filename, state, path,
             None if data is None else len(data), payload, lines))
        self.stats["logs"] += 1

    def run(self, basedir):
        for bdir, numbers in self.builder_dirs(basedir):
            bid = self.builder_id(basedir, bdir, numbers)
            for number in numbers:
                self.import_build(bid, bdir, number)


def main(argv):
    p = argparse.ArgumentParser(prog="baseline-import.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True)
    p.add_argument("--logdir", required=True)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("basedir")
    opts = p.parse_args(argv)
    if not os.path.isdir(opts.basedir):
        p.error("%s is not a directory" % opts.basedir)
    t0 = time.monotonic()
    db = sqlite3.connect(opts.db)
    # The same durability settings as bbmirror's SQLite store: WAL, no
    # fsync per commit.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    imp = Importer(db, opts.logdir)
    imp.run(opts.basedir)
    db.close()
    if not opts.quiet:
        s = imp.stats
        print("baseline-import: %d builds (%d skipped, %d failed), %d steps, "
              "%d logs (%d missing), %.1f MB of logs in %.2fs" % (
                  s["builds"], s["skipped"], s["failed"], s["steps"],
                  s["logs"], s["missing"], s["log_bytes"] / 1e6,
                  time.monotonic() - t0))
    return 1 if imp.stats["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
