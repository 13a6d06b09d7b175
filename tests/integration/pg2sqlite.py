#!/usr/bin/env python3
"""pg2sqlite.py: copies a mirror database from PostgreSQL into a new SQLite
file that has bbmirror's SQLite schema, every row id kept, so that the tools
that read SQLite (dump-db.py, bbmirror-log) show a PostgreSQL mirror exactly
as they show an SQLite one, and two mirrors written on different engines
compare with diff(1).

usage: pg2sqlite.py CONNINFO SCHEMA_DIR OUT

CONNINFO is a libpq connection string; SCHEMA_DIR holds the SQLite
migrations (schema/sqlite). Rows are read with psql (COPY ... TO STDOUT in
text format) and converted by their PostgreSQL type: bigint to int, double
precision to float (PostgreSQL prints the shortest exact digits), bytea to
bytes, text as it is. The SQLite copy's triggers are dropped before the
rows go in, so that they arrive exactly as they are.
"""

import glob
import os
import sqlite3
import subprocess
import sys

ESC = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
       "\\": "\\"}


def unescape(field):
    """A COPY text field: None for \\N, else its backslash escapes undone."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out = []
    i = 0
    while i < len(field):
        c = field[i]
        if c != "\\" or i + 1 == len(field):
            out.append(c)
            i += 1
            continue
        n = field[i + 1]
        if n in ESC:
            out.append(ESC[n])
            i += 2
        elif n == "x":
            j = i + 2
            while j < len(field) and j < i + 4 and \
                    field[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(field[i + 2:j], 16)))
            i = j
        elif n in "01234567":
            j = i + 1
            while j < len(field) and j < i + 4 and field[j] in "01234567":
                j += 1
            out.append(chr(int(field[i + 1:j], 8)))
            i = j
        else:
            out.append(n)
            i += 2
    return "".join(out)


def psql(conninfo, sql):
    env = dict(os.environ, PGCLIENTENCODING="UTF8")
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        conninfo, "-c", sql], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env)
    if p.returncode != 0:
        sys.exit("pg2sqlite: %s: %s" % (sql, p.stderr.decode(
            "utf-8", "replace").strip()))
    return p.stdout.decode("utf-8")


def rows(conninfo, sql):
    text = psql(conninfo, "COPY (%s) TO STDOUT" % sql)
    for line in text.split("\n"):
        if line:
            yield [unescape(f) for f in line.split("\t")]


def convert(value, pgtype):
    if value is None:
        return None
    if pgtype in ("bigint", "integer", "smallint"):
        return int(value)
    if pgtype in ("double precision", "real", "numeric"):
        return float(value)
    if pgtype == "bytea":
        return bytes.fromhex(value)
    return value


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    conninfo, schema_dir, out = sys.argv[1:]
    if os.path.exists(out):
        os.unlink(out)
    con = sqlite3.connect(out)
    for f in sorted(glob.glob(os.path.join(schema_dir, "[0-9]*.sql"))):
        with open(f) as fh:
            con.executescript(fh.read())
    for (name,) in con.execute("SELECT name FROM sqlite_master "
                               "WHERE type = 'trigger'").fetchall():
        con.execute("DROP TRIGGER %s" % name)
    lite = set(r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    for t in lite:
        con.execute("DELETE FROM %s" % t)
    cols = {}
    for t, c, ty in rows(conninfo, "SELECT table_name, column_name, "
                         "data_type FROM information_schema.columns WHERE "
                         "table_schema = current_schema() ORDER BY "
                         "table_name, ordinal_position"):
        cols.setdefault(t, []).append((c, ty))
    missing = sorted(set(cols) - lite)
    if missing:
        sys.exit("pg2sqlite: tables the SQLite schema lacks: %s" %
                 ", ".join(missing))
    con.execute("PRAGMA foreign_keys = OFF")
    total = 0
    for t in sorted(cols):
        sel = ", ".join("encode(%s, 'hex')" % c if ty == "bytea" else c
                        for c, ty in cols[t])
        data = [[convert(v, ty) for v, (c, ty) in zip(r, cols[t])]
                for r in rows(conninfo, "SELECT %s FROM %s" % (sel, t))]
        con.executemany("INSERT INTO %s (%s) VALUES (%s)" % (
            t, ", ".join(c for c, ty in cols[t]),
            ", ".join("?" for _ in cols[t])), data)
        total += len(data)
    con.commit()
    con.close()
    print("%d tables, %d rows" % (len(cols), total))


if __name__ == "__main__":
    main()
