#!/usr/bin/env python3
"""check-manifest.py DB LOGSTORE MANIFEST LOGCAT MASTER

Compares what bbmirror-import stored for one master with the manifest that
bench/gen-master.py wrote for it, field by field, and every stored log's
bytes (read back through bbmirror-log --raw) with the manifest's sha256.
Prints TAP test points (no plan: the calling shell test prints it) and a
final line "# checked N values"."""

import hashlib
import json
import math
import sqlite3
import subprocess
import sys

db_path, logstore, manifest_path, logcat, master = sys.argv[1:6]
m = json.load(open(manifest_path))
con = sqlite3.connect(db_path)
n = 0
problems = []


def check(what, got, want):
    global n
    n += 1
    if isinstance(want, float) and isinstance(got, (int, float)):
        equal = math.isclose(got, want, rel_tol=0, abs_tol=1e-6)
    else:
        equal = got == want
    if not equal:
        problems.append("%s: got %r, want %r" % (what, got, want))


def jl(s):
    return None if s is None else json.loads(s)


def one(sql, *args):
    rows = con.execute(sql, args).fetchall()
    return rows[0] if rows else None


mid = one("SELECT id FROM masters WHERE name = ?", master)[0]
check("builders", one("SELECT count(*) FROM builders WHERE master_id = ?",
                      mid)[0], len(m["builders"]))
nbuilds = 0
for b in m["builders"]:
    row = one("SELECT id, builddir FROM builders WHERE master_id = ? AND "
              "name = ?", mid, b["name"])
    check("builder %r exists" % b["name"], row is not None, True)
    if row is None:
        continue
    bid, builddir = row
    check("builder %r builddir" % b["name"], builddir, b["builddir"])
    if b["builder_pickle"]:
        check("builder %r events" % b["name"],
              one("SELECT count(*) FROM builder_events WHERE builder_id = ?",
                  bid)[0], b["events"])
    check("builder %r builds" % b["name"],
          one("SELECT count(*) FROM builds WHERE builder_id = ?", bid)[0],
          len(b["builds"]))
    for build in b["builds"]:
        nbuilds += 1
        tag = "%s #%d" % (b["name"], build["number"])
        r = one("SELECT id, started_at, finished_at, results, text, reason, "
                "slave, blamelist FROM builds WHERE builder_id = ? AND "
                "number = ?", bid, build["number"])
        check(tag + " exists", r is not None, True)
        if r is None:
            continue
        build_id = r[0]
        check(tag + " started_at", r[1], build["started"])
        check(tag + " finished_at", r[2], build["finished"])
        check(tag + " results", r[3], build["results"])
        check(tag + " text", jl(r[4]), build["text"])
        check(tag + " reason", r[5], build["reason"])
        check(tag + " slave", r[6], build["slave"])
        check(tag + " blamelist", jl(r[7]), build["blamelist"])
        props = [{"name": p, "value": jl(v), "source": s} for p, v, s in
                 con.execute("SELECT name, value, source FROM "
                             "build_properties WHERE build_id = ? ORDER BY "
                             "name", (build_id,))]
        check(tag + " properties", props,
              sorted(build["properties"], key=lambda p: p["name"]))
        changes = sorted(c for (c,) in con.execute(
            "SELECT c.number FROM build_changes bc JOIN changes c ON "
            "c.id = bc.change_id WHERE bc.build_id = ?", (build_id,)))
        want_changes = set(build["changes"])
        for ss in build["sourcestamps"]:
            want_changes.update(ss["changes"])
        check(tag + " changes", changes, sorted(want_changes))
        sss = con.execute("SELECT id, branch, revision, repository, project, "
                          "codebase, patch_level, patch_body FROM "
                          "sourcestamps WHERE build_id = ? ORDER BY number",
                          (build_id,)).fetchall()
        check(tag + " sourcestamps", len(sss), len(build["sourcestamps"]))
        for got, want in zip(sss, build["sourcestamps"]):
            for i, k in enumerate(("branch", "revision", "repository",
                                   "project", "codebase"), 1):
                check(tag + " sourcestamp " + k, got[i], want[k])
            if want["patch"] is None:
                check(tag + " no patch", got[7], None)
            else:
                check(tag + " patch level", got[6], want["patch"]["level"])
                body = got[7] if got[7] is not None else b""
                if isinstance(body, str):
                    body = body.encode()
                check(tag + " patch sha256", hashlib.sha256(body).hexdigest(),
                      want["patch"]["sha256"])
            check(tag + " sourcestamp changes", sorted(c for (c,) in
                  con.execute("SELECT c.number FROM sourcestamp_changes x "
                              "JOIN changes c ON c.id = x.change_id WHERE "
                              "x.sourcestamp_id = ?", (got[0],))),
                  sorted(want["changes"]))
        steps = con.execute("SELECT id, number, name, results, started_at, "
                            "finished_at, text, text2, skipped FROM steps "
                            "WHERE build_id = ? ORDER BY number",
                            (build_id,)).fetchall()
        check(tag + " steps", len(steps), len(build["steps"]))
        for got, want in zip(steps, build["steps"]):
            st = "%s step %s" % (tag, want["name"])
            check(st + " number", got[1], want["number"])
            check(st + " name", got[2], want["name"])
            check(st + " results", got[3], want["results"])
            check(st + " started", got[4], want["started"])
            check(st + " finished", got[5], want["finished"])
            check(st + " text", jl(got[6]), want["text"])
            check(st + " text2", jl(got[7]), want["text2"])
            check(st + " skipped", bool(got[8]), bool(want["skipped"]))
            logs = con.execute("SELECT id, name, filename, state, "
                               "stored_bytes, text_bytes, lines, complete "
                               "FROM logs WHERE step_id = ? ORDER BY number",
                               (got[0],)).fetchall()
            check(st + " logs", len(logs), len(want["logs"]))
            for lg, wl in zip(logs, want["logs"]):
                lt = "%s log %s" % (st, wl["name"])
                check(lt + " name", lg[1], wl["name"])
                check(lt + " filename", lg[2], wl["filename"])
                if wl["file"] == "missing":
                    check(lt + " state", lg[3], "missing")
                    continue
                check(lt + " state", lg[3], "stored")
                check(lt + " stored_bytes", lg[4], wl["stream_bytes"])
                check(lt + " text_bytes", lg[5], wl["text_bytes"])
                check(lt + " lines", lg[6], wl["lines"])
                check(lt + " complete", lg[7], 1)
                raw = subprocess.run([logcat, "--db", db_path, "--logstore",
                                      logstore, "--raw", str(lg[0])],
                                     stdout=subprocess.PIPE).stdout
                check(lt + " content sha256",
                      hashlib.sha256(raw).hexdigest(), wl["sha256"])

check("total builds", one("SELECT count(*) FROM builds b JOIN builders x ON "
                          "x.id = b.builder_id WHERE x.master_id = ?",
                          mid)[0], m["totals"]["builds"])
check("total steps", one("SELECT count(*) FROM steps s JOIN builds b ON "
                         "b.id = s.build_id JOIN builders x ON x.id = "
                         "b.builder_id WHERE x.master_id = ?", mid)[0],
      m["totals"]["steps"])
check("total logs", one("SELECT count(*) FROM logs l JOIN steps s ON s.id = "
                        "l.step_id JOIN builds b ON b.id = s.build_id JOIN "
                        "builders x ON x.id = b.builder_id WHERE "
                        "x.master_id = ?", mid)[0], m["totals"]["logs"])
for c in m["changes"]:
    rows = con.execute("SELECT author, comments, branch, revision, revlink, "
                       "category, repository, project, codebase, when_at, "
                       "is_dir, id FROM changes WHERE master_id = ? AND "
                       "number = ? AND (revision IS ? OR revision = ?)",
                       (mid, c["number"], c["revision"],
                        c["revision"])).fetchall()
    tag = "change %d" % c["number"]
    check(tag + " stored once", len(rows), 1)
    if not rows:
        continue
    r = rows[0]
    for i, k in enumerate(("author", "comments", "branch", "revision",
                           "revlink", "category", "repository", "project",
                           "codebase")):
        check(tag + " " + k, r[i], c[k])
    check(tag + " when", r[9], c["when"])
    check(tag + " files", sorted(f for (f,) in con.execute(
        "SELECT filename FROM change_files WHERE change_id = ?", (r[11],))),
        sorted(c["files"]))

if problems:
    for p in problems[:40]:
        print("# " + p)
    if len(problems) > 40:
        print("# ... and %d more" % (len(problems) - 40))
print("%sok - %s: %d builds, %d values match the manifest" %
      ("not " if problems else "", master, nbuilds, n))
