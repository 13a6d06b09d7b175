# -*- coding: utf-8 -*-
"""live_check.py: compares the mirror database with what the fake master
did (a JSON file of live_driver.py), or two mirror databases with each
other. Prints one line per check, "GOT<TAB>WANT<TAB>NAME", for the shell
test (tests/integration/plugin-live.sh) to turn into TAP.

  live_check.py rows DB LOGSTORE BBMIRROR_LOG MANIFEST.json
  live_check.py compare DB1 DB2 MASTER

Python 3 (the sqlite3 module).
"""

import bz2
import json
import os
import sqlite3
import subprocess
import sys


def out(got, want, name):
    print("%s\t%s\t%s" % (got, want, name))


def master_file(path):
    """The master's log stream: the .bz2 if there is one, else raw."""
    if os.path.exists(path + ".bz2"):
        with bz2.BZ2File(path + ".bz2") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def rows(db, logstore, logcat, manifest):
    with open(manifest) as f:
        m = json.load(f)
    con = sqlite3.connect(db)
    mid = con.execute("SELECT id, basedir FROM masters WHERE name = ?",
                      (m["master"],)).fetchone()
    out(mid is not None and mid[1], m["basedir"],
        "masters: the hello's name and basedir")
    if mid is None:
        return
    mid = mid[0]
    got = sorted(r[0] for r in con.execute(
        "SELECT name FROM builders WHERE master_id = ?", (mid,)))
    out(got, sorted(m["builders"]), "builders")
    got = con.execute("SELECT last_seq FROM live_masters WHERE master_id = "
                      "?", (mid,)).fetchone()
    out(got and got[0], m["events"], "live_masters.last_seq: every event")
    builds = con.execute(
        "SELECT bl.name, b.number, b.started_at, b.finished_at, b.results, "
        "b.complete, b.id FROM builds b JOIN builders bl ON "
        "bl.id = b.builder_id WHERE bl.master_id = ? ORDER BY 1, 2",
        (mid,)).fetchall()
    want = sorted((b["builder"], b["number"], b["started"], b["finished"],
                   b["results"], 1) for b in m["builds"])
    out(len(builds), len(want), "builds: as many as the master finished")
    out([r[:6] for r in builds] == want, True,
        "builds: builder, number, started, finished, results, complete")
    dups = con.execute(
        "SELECT count(*) FROM (SELECT b.builder_id, b.number, b.started_at "
        "FROM builds b JOIN builders bl ON bl.id = b.builder_id WHERE "
        "bl.master_id = ? GROUP BY 1, 2, 3 HAVING count(*) > 1)",
        (mid,)).fetchone()[0]
    out(dups, 0, "builds: no duplicates")
    ids = dict(((r[0], r[1]), r[6]) for r in builds)
    step_bad = []
    log_bad = []
    nlogs = 0
    html = 0
    for b in m["builds"]:
        bid = ids.get((b["builder"], b["number"]))
        srows = con.execute(
            "SELECT number, name, results, started_at, id FROM steps WHERE "
            "build_id = ? ORDER BY number", (bid,)).fetchall()
        swant = [(i, s["name"], s["results"], s["started"])
                 for i, s in enumerate(b["steps"])]
        if [r[:4] for r in srows] != swant:
            step_bad.append((b["builder"], b["number"]))
            continue
        for (i, s), r in zip(enumerate(b["steps"]), srows):
            lrows = con.execute(
                "SELECT number, name, kind, state, complete, id FROM logs "
                "WHERE step_id = ? ORDER BY number", (r[4],)).fetchall()
            lwant = [(j, lg["name"], "html" if lg["html"] else "text",
                      "stored", 1) for j, lg in enumerate(s["logs"])]
            if [x[:5] for x in lrows] != lwant:
                log_bad.append((b["builder"], b["number"], i, "rows"))
                continue
            for lg, x in zip(s["logs"], lrows):
                nlogs += 1
                html += lg["html"]
                p = subprocess.run([logcat, "--db", db, "--logstore",
                                    logstore, "--raw", str(x[5])],
                                   stdout=subprocess.PIPE)
                if p.returncode != 0 or \
                        p.stdout != master_file(lg["path"]):
                    log_bad.append((b["builder"], b["number"], i,
                                    lg["name"]))
    out(step_bad, [], "steps: number, name, results, started of every build")
    out(log_bad[:5], [], "logs: all %d (%d HTML) stored, complete, and "
        "their content byte for byte the master's log file" % (nlogs, html))
    for table, key, n in (("changes", "master_id", m["changes"]),
                          ("buildsets", "master_id", m["buildsets"]),
                          ("buildrequests", "master_id", m["requests"])):
        got = con.execute("SELECT count(*) FROM %s WHERE %s = ?" %
                          (table, key), (mid,)).fetchone()[0]
        out(got, n, "%s: one row each, no duplicates" % table)
    got = dict((r[0], r[1]) for r in con.execute(
        "SELECT name, connected FROM slaves WHERE master_id = ?", (mid,)))
    want = dict((k, 1 if v == "connected" else 0)
                for k, v in m["slaves"].items())
    out(got, want, "slaves: connected as the master last said")
    got = dict((r[0], r[1]) for r in con.execute(
        "SELECT name, state FROM builders WHERE master_id = ?", (mid,)))
    out(got, m["states"], "builders: state as the master last said")


COMPARE = [
    ("builds", "SELECT bl.name, b.number, b.started_at, b.finished_at, "
     "b.complete, b.results, b.text, b.reason, b.slave, b.blamelist FROM "
     "builds b JOIN builders bl ON bl.id = b.builder_id JOIN masters m ON "
     "m.id = bl.master_id WHERE m.name = ? ORDER BY 1, 2, 3"),
    ("steps", "SELECT bl.name, b.number, s.number, s.name, s.started_at, "
     "s.finished_at, s.results, s.text, s.text2, s.urls, s.statistics, "
     "s.hidden, s.skipped FROM steps s JOIN builds b ON b.id = s.build_id "
     "JOIN builders bl ON bl.id = b.builder_id JOIN masters m ON "
     "m.id = bl.master_id WHERE m.name = ? ORDER BY 1, 2, 3"),
    ("logs", "SELECT bl.name, b.number, s.number, l.number, l.name, "
     "l.filename, l.kind, l.state, l.stored_bytes, l.text_bytes, l.lines, "
     "l.complete FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b "
     "ON b.id = s.build_id JOIN builders bl ON bl.id = b.builder_id JOIN "
     "masters m ON m.id = bl.master_id WHERE m.name = ? "
     "ORDER BY 1, 2, 3, 4"),
    ("build_properties", "SELECT bl.name, b.number, p.name, p.value, "
     "p.source FROM build_properties p JOIN builds b ON b.id = p.build_id "
     "JOIN builders bl ON bl.id = b.builder_id JOIN masters m ON "
     "m.id = bl.master_id WHERE m.name = ? ORDER BY 1, 2, 3"),
    ("sourcestamps", "SELECT bl.name, b.number, ss.number, ss.branch, "
     "ss.revision, ss.repository, ss.project, ss.codebase, ss.patch_level "
     "FROM sourcestamps ss JOIN builds b ON b.id = ss.build_id JOIN "
     "builders bl ON bl.id = b.builder_id JOIN masters m ON "
     "m.id = bl.master_id WHERE m.name = ? ORDER BY 1, 2, 3"),
    ("build_changes", "SELECT bl.name, b.number, c.number, c.author, "
     "c.revision, c.when_at FROM build_changes bc JOIN builds b ON "
     "b.id = bc.build_id JOIN changes c ON c.id = bc.change_id JOIN "
     "builders bl ON bl.id = b.builder_id JOIN masters m ON "
     "m.id = bl.master_id WHERE m.name = ? ORDER BY 1, 2, 3"),
    ("builders", "SELECT bl.name, bl.description, bl.category, bl.tags, "
     "bl.slavenames FROM builders bl JOIN masters m ON m.id = bl.master_id "
     "WHERE m.name = ? ORDER BY 1"),
]


def compare(db1, db2, master):
    a = sqlite3.connect(db1)
    b = sqlite3.connect(db2)
    for name, sql in COMPARE:
        ra = a.execute(sql, (master,)).fetchall()
        rb = b.execute(sql, (master,)).fetchall()
        diff = [x for x in zip(ra, rb) if x[0] != x[1]][:1]
        out(len(ra) > 0 and len(ra) == len(rb) and not diff, True,
            "%s: live rows equal imported rows (%d, %d)%s" %
            (name, len(ra), len(rb), " first difference: %r" % (diff,)
             if diff else ""))


def main():
    if sys.argv[1] == "rows":
        rows(*sys.argv[2:6])
    elif sys.argv[1] == "compare":
        compare(*sys.argv[2:5])
    else:
        sys.exit("usage: live_check.py rows|compare ...")


if __name__ == "__main__":
    main()
