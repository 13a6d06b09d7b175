#!/usr/bin/env python3
"""dump-db.py: a canonical text dump of a mirror database, for comparing two
databases that should hold the same data but were written differently (a
daemon killed and restarted twenty times against one never disturbed; a
build seen live against the same build imported).

usage: dump-db.py [options] DB

Every table is dumped as one line per row, sorted, so that two databases
compare with diff(1).  Row ids mean nothing across databases, so a row is
written by its content: an INTEGER PRIMARY KEY column is left out and every
foreign key column is replaced by the content of the row it points at,
recursively (a step names its build by the build's builder name, number,
start time ... rather than by builds.id).  Duplicated rows therefore show
up as two identical lines, lost rows as missing ones.  Columns that record
when a row was written (updated_at, created_at, applied_at, imported_at)
are left out too.

options:
  --exclude COL       leave out this column in every table (repeatable),
                      or TABLE.COL for one table
  --skip TABLE        leave out this table (repeatable)
  --only TABLE        dump only these tables (repeatable)
  --master NAME       only rows that belong to master NAME (through their
                      foreign keys); rows of tables unrelated to masters
                      are left out
  --logs LOGCAT       add to each logs row the SHA-256 and length of its
                      content (needs --logstore): read straight from the
                      log store's files with libzstd, and for a sample of
                      --logcat-sample logs (200) through `LOGCAT --raw`,
                      which must agree (exit status 3 if not); without
                      libzstd, through LOGCAT for every log
  --logstore DIR      the log store of DB
  --counts            print only "table rows" lines
"""

import argparse
import concurrent.futures
import ctypes
import ctypes.util
import hashlib
import os
import random
import sqlite3
import subprocess
import sys

WHEN_COLUMNS = {"updated_at", "created_at", "applied_at", "imported_at"}
# Identities the schema does not declare as UNIQUE (lib/store.c enforces it).
NATURAL = {"builds": ["builder_id", "number", "started_at"]}


def fmt(v):
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "blob:%d:%s" % (len(v), hashlib.sha256(v).hexdigest()[:16])
    if isinstance(v, str):
        return repr(v)
    return str(v)


class Db(object):
    def __init__(self, path, exclude, skip):
        self.con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        self.con.text_factory = bytes
        self.tables = [r[0].decode() for r in self.con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
            "name NOT LIKE 'sqlite_%' ORDER BY name")]
        self.tables = [t for t in self.tables if t not in skip]
        self.cols = {}
        self.surrogate = {}
        self.fks = {}
        self.rows = {}
        self.index = {}
        self.memo = {}
        self.natural = {}
        for t in self.tables:
            info = list(self.con.execute("PRAGMA table_info(%s)" % t))
            names = [r[1].decode() if isinstance(r[1], bytes) else r[1]
                     for r in info]
            pks = [r for r in info if r[5]]
            sur = None
            if len(pks) == 1 and (pks[0][2] or b"").upper() in (
                    b"INTEGER", "INTEGER"):
                sur = pks[0][1]
                sur = sur.decode() if isinstance(sur, bytes) else sur
            fk = {}
            for r in self.con.execute("PRAGMA foreign_key_list(%s)" % t):
                parent = r[2].decode() if isinstance(r[2], bytes) else r[2]
                frm = r[3].decode() if isinstance(r[3], bytes) else r[3]
                to = r[4]
                to = to.decode() if isinstance(to, bytes) else to
                fk[frm] = (parent, to)
            self.fks[t] = fk
            # A primary key that is also a foreign key (live_masters) is
            # content: it is written as the row it points at.
            self.surrogate[t] = sur if sur not in fk else None
            keep = [n for n in names if n not in WHEN_COLUMNS and
                    n not in exclude and "%s.%s" % (t, n) not in exclude]
            self.cols[t] = (names, keep)
            self.natural[t] = NATURAL.get(t) or self._unique(t)
            cur = self.con.execute("SELECT * FROM %s" % t)
            self.rows[t] = [dict(zip(names, self._text(r))) for r in cur]

    def _unique(self, t):
        """The columns of the first UNIQUE constraint of t, or None."""
        for r in self.con.execute("PRAGMA index_list(%s)" % t):
            origin = r[3].decode() if isinstance(r[3], bytes) else r[3]
            if not r[2] or origin not in ("u", "pk"):
                continue
            name = r[1].decode() if isinstance(r[1], bytes) else r[1]
            cols = [c[2].decode() if isinstance(c[2], bytes) else c[2]
                    for c in self.con.execute("PRAGMA index_info('%s')" %
                                              name.replace("'", "''"))]
            if cols and None not in cols:
                return cols
        return None

    @staticmethod
    def _text(row):
        out = []
        for v in row:
            if isinstance(v, bytes):
                try:
                    v = v.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            out.append(v)
        return out

    def lookup(self, table, col, value):
        key = (table, col)
        if key not in self.index:
            idx = {}
            for r in self.rows.get(table, []):
                idx.setdefault(r[col], r)
            self.index[key] = idx
        return self.index[key].get(value)

    def parent_col(self, table, to):
        if to:
            return to
        return self.surrogate.get(table)

    def repr_row(self, table, row, depth=0):
        """The content of row with foreign keys replaced by their rows.
        At depth > 0 (a referenced row) only its natural key is written,
        when it has one."""
        sur = self.surrogate[table]
        mkey = (table, depth > 0, row[sur]) if sur else None
        if mkey and mkey in self.memo:
            return self.memo[mkey]
        if depth > 20:
            raise RuntimeError("foreign keys nested too deeply at " + table)
        parts = []
        names, keep = self.cols[table]
        if depth > 0 and self.natural[table]:
            keep = self.natural[table]
        for c in keep:
            if c == sur:
                continue
            v = row[c]
            if c in self.fks[table] and v is not None:
                parent, to = self.fks[table][c]
                pc = self.parent_col(parent, to)
                if parent in self.rows and pc:
                    pr = self.lookup(parent, pc, v)
                    if pr is None:
                        parts.append("%s=<dangling %s %s>" % (c, parent, v))
                    else:
                        parts.append("%s=%s{%s}" % (
                            c, parent, self.repr_row(parent, pr, depth + 1)))
                    continue
            parts.append("%s=%s" % (c, fmt(v)))
        s = " ".join(parts)
        if mkey:
            self.memo[mkey] = s
        return s

    def master_of(self, table, row, depth=0):
        """The masters.name a row belongs to, or None."""
        if table == "masters":
            return row.get("name")
        if depth > 20:
            return None
        for c, (parent, to) in self.fks[table].items():
            v = row.get(c)
            if v is None or parent not in self.rows:
                continue
            pr = self.lookup(parent, self.parent_col(parent, to), v)
            if pr is not None:
                m = self.master_of(parent, pr, depth + 1)
                if m is not None:
                    return m
        return None


class Zstd(object):
    """Decompression through libzstd (ctypes): reading a log straight from
    the log store costs microseconds where a bbmirror-log process costs
    milliseconds, which matters with thousands of logs."""

    class Buf(ctypes.Structure):
        _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t),
                    ("pos", ctypes.c_size_t)]

    def __init__(self):
        name = ctypes.util.find_library("zstd") or "libzstd.so.1"
        self.lib = ctypes.CDLL(name)
        self.lib.ZSTD_createDCtx.restype = ctypes.c_void_p
        self.lib.ZSTD_DCtx_reset.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.lib.ZSTD_DCtx_reset.restype = ctypes.c_size_t
        self.lib.ZSTD_decompressStream.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(self.Buf),
            ctypes.POINTER(self.Buf)]
        self.lib.ZSTD_decompressStream.restype = ctypes.c_size_t
        self.lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        self.lib.ZSTD_isError.restype = ctypes.c_uint
        self.dctx = self.lib.ZSTD_createDCtx()
        self.out = ctypes.create_string_buffer(1 << 20)

    def digest(self, data):
        """(length, sha256 hex) of the decompressed frames in data; raises
        ValueError if they are corrupt or truncated."""
        self.lib.ZSTD_DCtx_reset(self.dctx, 1)
        src = ctypes.create_string_buffer(data, len(data))
        inb = self.Buf(ctypes.addressof(src), len(data), 0)
        h = hashlib.sha256()
        n = 0
        ret = 0
        while True:
            outb = self.Buf(ctypes.addressof(self.out), len(self.out), 0)
            ret = self.lib.ZSTD_decompressStream(self.dctx, ctypes.byref(outb),
                                                 ctypes.byref(inb))
            if self.lib.ZSTD_isError(ret):
                raise ValueError("corrupt zstd data")
            h.update(self.out.raw[:outb.pos])
            n += outb.pos
            if inb.pos == inb.size and outb.pos < outb.size:
                break
        if ret != 0:
            raise ValueError("truncated zstd frame")
        return n, h.hexdigest()


def direct_digest(z, logstore, key):
    """The content digest of the log under key, read from the files."""
    if key is None:
        return "content=none"
    try:
        if key.startswith("p/"):
            _, name, span = key.split("/")
            off, length = (int(x) for x in span.split("-"))
            with open(os.path.join(logstore, "packs", name + ".pack"),
                      "rb") as f:
                f.seek(off)
                data = f.read(length)
            if len(data) != length:
                raise ValueError("pack too short")
        else:
            with open(os.path.join(logstore, key + ".zst"), "rb") as f:
                data = f.read()
        n, d = z.digest(data)
    except (OSError, ValueError) as e:
        return "content=error(%s)" % e
    return "content=%d:%s" % (n, d)


def log_digest(logcat, db, logstore, log_id):
    p = subprocess.run([logcat, "--db", db, "--logstore", logstore,
                        "--raw", str(log_id)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode == 1:
        return "content=none"
    if p.returncode != 0:
        return "content=error(%d: %s)" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip())
    return "content=%d:%s" % (len(p.stdout),
                              hashlib.sha256(p.stdout).hexdigest())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--master")
    ap.add_argument("--logs")
    ap.add_argument("--logstore")
    ap.add_argument("--counts", action="store_true")
    ap.add_argument("--logcat-sample", type=int, default=200)
    ap.add_argument("db")
    a = ap.parse_args()

    db = Db(a.db, set(a.exclude), set(a.skip))
    tables = [t for t in db.tables if not a.only or t in a.only]
    digests = {}
    status = 0
    if a.logs and "logs" in tables:
        try:
            z = Zstd()
        except (OSError, AttributeError):
            z = None
        rows = db.rows["logs"]
        if z is not None:
            for r in rows:
                digests[r["id"]] = direct_digest(z, a.logstore,
                                                 r.get("store_key"))
            # bbmirror-log is the reference reader: a sample of the logs
            # must read back the same through it.
            sample = random.Random(1).sample(rows, min(a.logcat_sample,
                                                       len(rows)))
        else:
            sample = rows
        ids = [r["id"] for r in sample]
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            for i, d in zip(ids, ex.map(
                    lambda i: log_digest(a.logs, a.db, a.logstore, i), ids)):
                if i in digests and digests[i] != d and \
                        not (d == "content=none" and
                             digests[i].startswith("content=0:")):
                    sys.stderr.write("log %d: %s read directly, %s through "
                                     "%s\n" % (i, digests[i], d, a.logs))
                    status = 3
                digests[i] = d
    out = sys.stdout
    for t in tables:
        lines = []
        for r in db.rows[t]:
            if a.master is not None and db.master_of(t, r) != a.master:
                continue
            s = db.repr_row(t, r)
            if t == "logs" and digests:
                s += " " + digests[r["id"]]
            lines.append(s)
        if a.counts:
            out.write("%s %d\n" % (t, len(lines)))
            continue
        lines.sort()
        for s in lines:
            out.write("%s: %s\n" % (t, s))
    return status


if __name__ == "__main__":
    sys.exit(main())
