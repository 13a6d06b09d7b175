#!/bin/sh
# The JSON API of bbmirrord (doc/api.md) with curl against a real daemon:
# a database holding real masters (the fixtures imported, when
# $BBM_FIXTURES has them) and live ones (generated recordings replayed). Every endpoint's answer is compared with
# what the database holds, computed independently in Python from sqlite3
# rows; filters; keyset pagination over all pages, and while a replay
# inserts builds that interleave with the ones paged; ETag and 304; every
# error path; hostile parameters (4xx, the database intact); and a
# --read-only daemon answering the same requests identically.
#
# BBMIRRORD_WRAPPER runs the daemons under a tool, for example
# "valgrind --leak-check=full --error-exitcode=3".
. "${top_srcdir:-.}/tests/integration/lib.sh"

http_init
GEN="$top_srcdir/bench/gen-events.py"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is needed for recordings"
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/ls"
S="$T_TMP/d.sock"

# check ARGS...: runs the checker; its PASS/FAIL lines become TAP lines.
check() {
	"$PYTHON3" "$T_TMP/check.py" "$@" >"$T_TMP/check.out" 2>&1
	echo "CHECKER-EXIT $?" >>"$T_TMP/check.out"
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok 0 "${line#PASS }" ;;
		"FAIL "*) ok 1 "${line#FAIL }" ;;
		"CHECKER-EXIT 0") ;;
		"CHECKER-EXIT "*) ok 1 "checker $1 exited: ${line#CHECKER-EXIT }" ;;
		*) echo "# $line" ;;
		esac
	done <"$T_TMP/check.out"
}

cat >"$T_TMP/check.py" <<'PYEOF'
import datetime, json, os, sqlite3, subprocess, sys, tempfile, time
import traceback, urllib.parse

RESULTS = ["success", "warnings", "failure", "skipped", "exception",
           "retry", "cancelled"]
TMP = tempfile.mkdtemp(prefix="api-check.", dir=os.environ.get("T_TMP"))


def report(good, name, diag=None):
    print(("PASS " if good else "FAIL ") + name)
    if not good and diag:
        for line in str(diag).splitlines()[:20]:
            print("   " + line[:300])
    return good


REQUESTS = [0]


def curl(base, path, method=None, headers=(), head=False, raw=False):
    """One request with curl: (status, headers, body bytes)."""
    REQUESTS[0] += 1
    body = os.path.join(TMP, "body")
    if os.path.exists(body):
        os.unlink(body)
    cmd = ["curl", "-s", "-g", "--path-as-is", "-D", "-", "-o", body]
    if method:
        cmd += ["-X", method]
    if head:
        cmd += ["-I"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(base + path)
    out = subprocess.run(cmd, stdout=subprocess.PIPE).stdout
    status, hdrs = parse_headers(out.decode("latin-1"))
    data = open(body, "rb").read() if os.path.exists(body) else b""
    return status, hdrs, data


CACHE = {}


def parse_headers(text):
    hdrs, status = {}, 0
    for line in text.split("\r\n"):
        if line.startswith("HTTP/"):
            status, hdrs = int(line.split()[1]), {}
        elif ":" in line:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return status, hdrs


def prefetch(base, paths):
    """GETs paths with one curl per 50 (one connection, kept alive); get()
    then answers them from here, once each."""
    paths = list(paths)
    for i in range(0, len(paths), 50):
        chunk = paths[i:i + 50]
        cmd = ["curl", "-s", "-g", "--path-as-is", "-D", "-",
               "-w", "\n@@@END@@@\n"]
        for n, p in enumerate(chunk):
            cmd += ["-o", os.path.join(TMP, "b%d" % n), base + p]
        out = subprocess.run(cmd, stdout=subprocess.PIPE).stdout
        parts = out.decode("latin-1").split("\n@@@END@@@\n")
        for n, p in enumerate(chunk):
            REQUESTS[0] += 1
            status, hdrs = parse_headers(parts[n] if n < len(parts) else "")
            f = os.path.join(TMP, "b%d" % n)
            data = open(f, "rb").read() if os.path.exists(f) else b""
            if os.path.exists(f):
                os.unlink(f)
            CACHE[(base, p)] = (status, hdrs, data)


def get(base, path, **kw):
    if not kw and (base, path) in CACHE:
        st, h, b = CACHE.pop((base, path))
    else:
        st, h, b = curl(base, path, **kw)
    try:
        j = json.loads(b.decode("utf-8")) if b else None
    except ValueError:
        j = None
    return st, h, j, b


def fnv128(data):
    h = 0x6c62272e07bb014262b821756295c58d
    for c in data:
        h = ((h ^ c) * 0x0000000001000000000000000000013B) % (1 << 128)
    return "%032x" % h


def q(db, sql, args=()):
    return db.execute(sql, args).fetchall()


def js(v):
    return None if v is None else json.loads(v)


def bl(v):
    return None if v is None else bool(v)


def res(v):
    return RESULTS[v] if v is not None and 0 <= v < len(RESULTS) else None


# --- what the database says, shaped as doc/api.md describes -------------
class Expect(object):
    def __init__(self, db):
        self.db = db

    def master(self, r, detail=False):
        live = q(self.db, "SELECT last_seq, updated_at FROM live_masters "
                 "WHERE master_id = ?", (r[0],))
        o = {"id": r[0], "name": r[1], "basedir": r[2], "created_at": r[3],
             "live": {"last_seq": live[0][0], "updated_at": live[0][1]}
             if live else None, "url": "/api/v1/masters/%d" % r[0]}
        if detail:
            c = lambda t, w="": q(self.db, "SELECT count(*) FROM %s WHERE "
                                  "master_id = ? %s" % (t, w), (r[0],))[0][0]
            o["counts"] = {"builders": c("builders"), "changes": c("changes"),
                           "slaves": c("slaves"),
                           "slaves_connected": c("slaves", "AND connected")}
        return o

    def masters(self):
        return [self.master(r) for r in q(self.db, "SELECT id, name, "
                "basedir, created_at FROM masters")]

    def builder(self, r):
        return {"id": r[0], "master_id": r[1], "master": r[2], "name": r[3],
                "builddir": r[4], "description": r[5], "category": r[6],
                "tags": js(r[7]), "slavenames": js(r[8]), "state": r[9],
                "state_at": r[10], "origin": r[11], "updated_at": r[12],
                "url": "/api/v1/builders/%d" % r[0]}

    def builders(self):
        return [self.builder(r) for r in q(self.db,
                "SELECT bl.id, bl.master_id, m.name, bl.name, bl.builddir, "
                "bl.description, bl.category, bl.tags, bl.slavenames, "
                "bl.state, bl.state_at, bl.origin, bl.updated_at FROM "
                "builders bl, masters m WHERE m.id = bl.master_id")]

    def build(self, r):
        return {"id": r[0], "builder_id": r[1], "builder": r[2],
                "master_id": r[3], "master": r[4], "number": r[5],
                "started_at": r[6], "finished_at": r[7],
                "complete": bool(r[8]), "results": r[9], "result": res(r[9]),
                "text": js(r[10]), "reason": r[11], "slave": r[12],
                "blamelist": js(r[13]), "origin": r[14], "updated_at": r[15],
                "url": "/api/v1/builds/%d" % r[0]}

    def builds(self):
        """Every build, newest first: started_at desc, unknown last; id."""
        rows = q(self.db, "SELECT b.id, b.builder_id, bl.name, bl.master_id, "
                 "m.name, b.number, b.started_at, b.finished_at, b.complete, "
                 "b.results, b.text, b.reason, b.slave, b.blamelist, "
                 "b.origin, b.updated_at FROM builds b, builders bl, "
                 "masters m WHERE bl.id = b.builder_id AND "
                 "m.id = bl.master_id")
        out = [self.build(r) for r in rows]
        out.sort(key=lambda b: (b["started_at"] is None,
                                -(b["started_at"] or 0), -b["id"]))
        return out

    def branches(self):
        d = {}
        for bid, br in q(self.db, "SELECT build_id, branch FROM sourcestamps"):
            d.setdefault(bid, set()).add(br)
        return d

    def log(self, r):
        return {"id": r[0], "step_id": r[1], "number": r[2], "name": r[3],
                "filename": r[4], "kind": r[5], "state": r[6],
                "text_bytes": r[7], "lines": r[8], "complete": bool(r[9]),
                "pruned_at": r[10], "url": "/logs/%d" % r[0],
                "api_url": "/api/v1/logs/%d" % r[0]}

    LOGSQL = ("SELECT id, step_id, number, name, filename, kind, state, "
              "text_bytes, lines, complete, pruned_at FROM logs")

    def step(self, r):
        logs = [self.log(x) for x in q(self.db, self.LOGSQL +
                " WHERE step_id = ?", (r[0],))]
        logs.sort(key=lambda l: l["number"])
        return {"id": r[0], "build_id": r[1], "number": r[2], "name": r[3],
                "started_at": r[4], "finished_at": r[5], "results": r[6],
                "result": res(r[6]), "text": js(r[7]), "text2": js(r[8]),
                "urls": js(r[9]), "statistics": js(r[10]),
                "hidden": bool(r[11]), "skipped": bool(r[12]),
                "url": "/api/v1/steps/%d" % r[0], "logs": logs}

    STEPSQL = ("SELECT id, build_id, number, name, started_at, finished_at, "
               "results, text, text2, urls, statistics, hidden, skipped "
               "FROM steps")

    def steps(self, build_id):
        s = [self.step(r) for r in q(self.db, self.STEPSQL +
             " WHERE build_id = ?", (build_id,))]
        return sorted(s, key=lambda x: x["number"])

    def props(self, table, col, id):
        return dict((n, {"value": js(v), "source": s}) for n, v, s in
                    q(self.db, "SELECT name, value, source FROM %s WHERE "
                      "%s = ?" % (table, col), (id,)))

    def change(self, r):
        return {"id": r[0], "master_id": r[1], "master": r[2],
                "number": r[3], "author": r[4], "comments": r[5],
                "branch": r[6], "revision": r[7], "revlink": r[8],
                "category": r[9], "repository": r[10], "project": r[11],
                "codebase": r[12], "when_at": r[13], "is_dir": bool(r[14]),
                "origin": r[15], "updated_at": r[16],
                "url": "/api/v1/changes/%d" % r[0]}

    CHSQL = ("SELECT c.id, c.master_id, m.name, c.number, c.author, "
             "c.comments, c.branch, c.revision, c.revlink, c.category, "
             "c.repository, c.project, c.codebase, c.when_at, c.is_dir, "
             "c.origin, c.updated_at FROM changes c, masters m "
             "WHERE m.id = c.master_id")

    def changes(self, where="", args=()):
        out = [self.change(r) for r in q(self.db, self.CHSQL + where, args)]
        out.sort(key=lambda c: (c["when_at"] is None, -(c["when_at"] or 0),
                                -c["id"]))
        return out

    def build_detail(self, b):
        o = dict(b)
        bid = b["id"]
        o["steps"] = self.steps(bid)
        o["properties"] = self.props("build_properties", "build_id", bid)
        sss = []
        for r in sorted(q(self.db, "SELECT id, number, branch, revision, "
                          "repository, project, codebase, patch_level, "
                          "patch_body, patch_subdir, patch_author, "
                          "patch_comment FROM sourcestamps WHERE "
                          "build_id = ?", (bid,)), key=lambda r: r[1]):
            ch = self.changes(" AND c.id IN (SELECT change_id FROM "
                              "sourcestamp_changes WHERE sourcestamp_id = ?)",
                              (r[0],))
            sss.append({"number": r[1], "branch": r[2], "revision": r[3],
                        "repository": r[4], "project": r[5],
                        "codebase": r[6], "changes":
                        sorted(ch, key=lambda c: c["id"]),
                        "patch": None if r[8] is None else
                        {"level": r[7], "bytes": len(r[8]), "subdir": r[9],
                         "author": r[10], "comment": r[11]}})
        o["sourcestamps"] = sss
        o["changes"] = sorted(self.changes(
            " AND c.id IN (SELECT change_id FROM build_changes WHERE "
            "build_id = ?)", (bid,)), key=lambda c: c["id"])
        reqs = []
        for r in q(self.db, "SELECT br.id, br.brid, br.bsid, br.buildset_id, "
                   "br.builder_name, br.priority, br.submitted_at, "
                   "br.claimed_at, br.claimed_by, br.complete, "
                   "br.complete_at, br.results FROM buildrequests br WHERE "
                   "br.id IN (SELECT buildrequest_id FROM build_requests "
                   "WHERE build_id = ?) ORDER BY br.id", (bid,)):
            bs = None
            if r[3] is not None:
                s = q(self.db, "SELECT id, external_idstring, reason, "
                      "submitted_at, complete, complete_at, results FROM "
                      "buildsets WHERE id = ?", (r[3],))[0]
                bs = {"id": s[0], "external_idstring": s[1], "reason": s[2],
                      "submitted_at": s[3], "complete": bool(s[4]),
                      "complete_at": s[5], "results": s[6],
                      "result": res(s[6])}
            reqs.append({"id": r[0], "brid": r[1], "bsid": r[2],
                         "builder_name": r[4], "priority": r[5],
                         "submitted_at": r[6], "claimed_at": r[7],
                         "claimed_by": r[8], "complete": bool(r[9]),
                         "complete_at": r[10], "results": r[11],
                         "result": res(r[11]), "buildset": bs})
        o["requests"] = reqs
        return o

    def slaves(self):
        return [{"id": r[0], "master_id": r[1], "master": r[2],
                 "name": r[3], "connected": bool(r[4]), "paused": bool(r[5]),
                 "connected_at": r[6], "disconnected_at": r[7],
                 "origin": r[8], "updated_at": r[9],
                 "url": "/api/v1/slaves/%d" % r[0]}
                for r in q(self.db, "SELECT s.id, s.master_id, m.name, "
                           "s.name, s.connected, s.paused, s.connected_at, "
                           "s.disconnected_at, s.origin, s.updated_at FROM "
                           "slaves s, masters m WHERE m.id = s.master_id")]


def walk(base, path, params, limit, maxpages=10000):
    """Every page of a list: (items, pages, error or None)."""
    items, pages, cursor = [], 0, None
    while pages < maxpages:
        p = dict(params)
        if limit is not None:
            p["limit"] = str(limit)
        if cursor is not None:
            p["cursor"] = cursor
        qs = urllib.parse.urlencode(p)
        st, h, j, raw = get(base, path + ("?" + qs if qs else ""))
        if st != 200 or j is None:
            return items, pages, "page %d: status %d %r" % (pages, st, raw[:200])
        pages += 1
        if limit is not None and len(j["items"]) > limit:
            return items, pages, "page %d: %d items over limit %d" % (
                pages, len(j["items"]), limit)
        items += j["items"]
        cursor = j["next"]
        if cursor is None:
            return items, pages, None
        if not j["items"]:
            return items, pages, "an empty page with a next cursor"
    return items, pages, "more than %d pages" % maxpages


def diff(got, want):
    if got == want:
        return None
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return "lengths %d, want %d; ids %r, want %r" % (
                len(got), len(want),
                [x.get("id") if isinstance(x, dict) else x for x in got][:30],
                [x.get("id") if isinstance(x, dict) else x for x in want][:30])
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                return "item %d: %s" % (i, diff(g, w))
    if isinstance(got, dict) and isinstance(want, dict):
        keys = sorted(set(got) | set(want))
        for k in keys:
            if got.get(k, "<absent>") != want.get(k, "<absent>"):
                return "key %s: got %s, want %s" % (
                    k, json.dumps(got.get(k, "<absent>"))[:300],
                    json.dumps(want.get(k, "<absent>"))[:300])
    return "got %s\nwant %s" % (json.dumps(got)[:300], json.dumps(want)[:300])


def same(name, got, want):
    return report(got == want, name, diff(got, want))


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


# --- the checks ---------------------------------------------------------
def check_static(base, dbpath, again):
    db = sqlite3.connect(dbpath)
    E = Expect(db)
    st, h, j, raw = get(base, "/api/v1")
    report(st == 200 and j["api"] == 1 and j["schema_version"] ==
           q(db, "SELECT max(version) FROM schema_version")[0][0] and
           j["links"]["builds"] == "/api/v1/builds", "index: /api/v1", raw)
    st, h, j2, raw = get(base, "/api/v1/")
    report(st == 200 and j2 == j, "index: /api/v1/ is the same")

    # masters
    st, h, j, raw = get(base, "/api/v1/masters")
    same("masters: every master, every field", j and j["items"], E.masters())
    good = True
    prefetch(base, ["/api/v1/masters/%d" % r[0] for r in
                    q(db, "SELECT id FROM masters")])
    for r in q(db, "SELECT id, name, basedir, created_at FROM masters"):
        st, h, j, raw = get(base, "/api/v1/masters/%d" % r[0])
        if j != E.master(r, True):
            good = report(False, "masters/%d" % r[0], diff(j, E.master(r, True)))
    report(good, "masters/{id}: each with its live state and counts")

    # builders
    allb = E.builders()
    st, h, j, raw = get(base, "/api/v1/builders")
    same("builders: every builder, every field", j and j["items"], allb)
    mid, mname = q(db, "SELECT id, name FROM masters WHERE id IN (SELECT "
                   "master_id FROM builders) ORDER BY id DESC LIMIT 1")[0]
    want = [b for b in allb if b["master_id"] == mid]
    st, h, j, raw = get(base, "/api/v1/builders?master=%d" % mid)
    same("builders?master=ID", j and j["items"], want)
    st, h, j, raw = get(base, "/api/v1/builders?master=" +
                        urllib.parse.quote(mname))
    same("builders?master=NAME", j and j["items"], want)
    st, h, j, raw = get(base, "/api/v1/builders?state=idle")
    same("builders?state=idle", j and j["items"],
         [b for b in allb if b["state"] == "idle"])
    report(any(b["state"] is not None for b in allb),
           "(some builders have a live state)")
    builds = E.builds()
    good = True
    prefetch(base, ["/api/v1/builders/%d" % b["id"] for b in allb])
    for b in allb:
        mine = [x for x in builds if x["builder_id"] == b["id"]]
        want = dict(b)
        want["builds"] = {"total": len(mine), "running": len(
            [x for x in mine if not x["complete"]]),
            "url": "/api/v1/builds?builder=%d" % b["id"],
            "last": mine[0] if mine else None}
        want["events"] = [{"started_at": r[0], "finished_at": r[1],
                           "text": js(r[2])} for r in q(db,
                          "SELECT started_at, finished_at, text FROM "
                          "builder_events WHERE builder_id = ? ORDER BY "
                          "number", (b["id"],))]
        st, h, j, raw = get(base, "/api/v1/builders/%d" % b["id"])
        if j != want:
            good = report(False, "builders/%d" % b["id"], diff(j, want))
    report(good, "builders/{id}: state, build counts, last build, events")

    # builds: pagination
    for limit in (None, 7, 1000) if again else (None, 1, 7, 1000):
        items, pages, err = walk(base, "/api/v1/builds", {}, limit)
        ok = err is None and items == builds
        report(ok, "builds, limit %s: %d pages give every build once, newest "
               "first, every field" % (limit or "default", pages),
               err or diff(items, builds))
    n = len(builds)
    st, h, j, raw = get(base, "/api/v1/builds")
    report(st == 200 and len(j["items"]) == min(50, n) and
           (j["next"] is None) == (n <= 50), "builds: default limit 50")
    nulls = [b for b in builds if b["started_at"] is None]
    report(len(nulls) >= 2, "(%d builds without a start time, last)" %
           len(nulls))
    # A page boundary inside the builds without a start time, and at it.
    nn = n - len(nulls)
    for limit in (nn, nn - 1, nn + 1, 2):
        if limit < 1:
            continue
        items, pages, err = walk(base, "/api/v1/builds", {}, limit)
        report(err is None and items == builds, "builds, limit %d: "
               "pages across the builds without a start time" % limit,
               err or diff(items, builds))

    # builds: filters, each against the rows filtered here
    br = E.branches()
    some = [b for b in builds if b["started_at"] is not None]
    mid_t = sorted(b["started_at"] for b in some)[len(some) // 2]
    lo_t = sorted(b["started_at"] for b in some)[len(some) // 4]
    bname = q(db, "SELECT name FROM builders GROUP BY name ORDER BY "
              "count(*) DESC, name LIMIT 1")[0][0]
    b0 = [b for b in builds if b["started_at"] is not None][0]
    branch = sorted(x for s in br.values() for x in s if x)[0]
    slave = sorted(b["slave"] for b in builds if b["slave"])[0]
    cases = [
        ({"builder": str(b0["builder_id"])},
         lambda b: b["builder_id"] == b0["builder_id"]),
        ({"builder": b0["builder"]}, lambda b: b["builder"] == b0["builder"]),
        ({"builder": bname, "master": b0["master"]},
         lambda b: b["builder"] == bname and b["master"] == b0["master"]),
        ({"builder": b0["builder"], "master": str(b0["master_id"])},
         lambda b: b["builder"] == b0["builder"] and
         b["master_id"] == b0["master_id"]),
        ({"master": str(b0["master_id"])},
         lambda b: b["master_id"] == b0["master_id"]),
        ({"master": b0["master"]}, lambda b: b["master"] == b0["master"]),
        ({"result": "failure"}, lambda b: b["results"] == 2),
        ({"result": "2"}, lambda b: b["results"] == 2),
        ({"result": "success"}, lambda b: b["results"] == 0),
        ({"result": "exception"}, lambda b: b["results"] == 4),
        ({"result": "retry"}, lambda b: b["results"] == 5),
        ({"result": "cancelled"}, lambda b: b["results"] == 6),
        ({"branch": branch}, lambda b: branch in br.get(b["id"], ())),
        ({"since": repr(mid_t)}, lambda b: b["started_at"] is not None and
         b["started_at"] >= mid_t),
        ({"until": repr(mid_t)}, lambda b: b["started_at"] is not None and
         b["started_at"] < mid_t),
        ({"since": repr(lo_t), "until": repr(mid_t)},
         lambda b: b["started_at"] is not None and
         lo_t <= b["started_at"] < mid_t),
        ({"since": iso(int(mid_t))}, lambda b: b["started_at"] is not None
         and b["started_at"] >= int(mid_t)),
        ({"until": iso(int(mid_t)).replace("Z", "+00:00")},
         lambda b: b["started_at"] is not None and
         b["started_at"] < int(mid_t)),
        ({"since": iso(int(mid_t) + 3600).replace("Z", "+01:00")},
         lambda b: b["started_at"] is not None and
         b["started_at"] >= int(mid_t)),
        ({"since": iso(int(mid_t))[:10]}, lambda b: b["started_at"] is not
         None and b["started_at"] >= (int(mid_t) // 86400) * 86400),
        ({"slave": slave}, lambda b: b["slave"] == slave),
        ({"complete": "0"}, lambda b: not b["complete"]),
        ({"complete": "false"}, lambda b: not b["complete"]),
        ({"complete": "1"}, lambda b: b["complete"]),
        ({"complete": "true", "result": "success", "master": b0["master"]},
         lambda b: b["complete"] and b["results"] == 0 and
         b["master"] == b0["master"]),
        ({"builder": "no such builder"}, lambda b: False),
        ({"master": "999999"}, lambda b: False),
    ]
    for params, pred in cases:
        want = [b for b in builds if pred(b)]
        items, pages, err = walk(base, "/api/v1/builds", params, 3)
        report(err is None and items == want, "builds?%s: %d builds" % (
            urllib.parse.urlencode(params), len(want)), err or
            diff(items, want))
    report(len([b for b in builds if b["results"] == 2]) > 0 and
           len([b for b in builds if not b["complete"]]) > 0,
           "(the data has failed and unfinished builds)")

    # builds/{id}, /steps, /logs
    good = gsteps = gstep = True
    nsteps = 0
    prefetch(base, [p for b in builds for p in (
        "/api/v1/builds/%d" % b["id"], "/api/v1/builds/%d/steps" % b["id"])])
    prefetch(base, ["/api/v1/steps/%d" % r[0] for r in q(db, "SELECT id "
                    "FROM steps WHERE number < 2")])
    for b in builds:
        want = E.build_detail(b)
        st, h, j, raw = get(base, "/api/v1/builds/%d" % b["id"])
        if j != want:
            good = report(False, "builds/%d" % b["id"], diff(j, want))
        st, h, j, raw = get(base, "/api/v1/builds/%d/steps" % b["id"])
        if j != {"items": want["steps"]}:
            gsteps = report(False, "builds/%d/steps" % b["id"],
                            diff(j, {"items": want["steps"]}))
        for s in want["steps"][:2]:
            nsteps += 1
            st, h, j, raw = get(base, "/api/v1/steps/%d" % s["id"])
            if j != s:
                gstep = report(False, "steps/%d" % s["id"], diff(j, s))
    report(good, "builds/{id}: %d builds with steps, logs, properties, "
           "source stamps, changes and requests" % len(builds))
    report(gsteps, "builds/{id}/steps: the build's steps")
    report(gstep, "steps/{id}: %d steps with their logs" % nsteps)
    good = True
    logs = q(db, E.LOGSQL)
    prefetch(base, ["/api/v1/logs/%d" % r[0] for r in logs])
    for r in logs:
        want = E.log(r)
        s = q(db, "SELECT build_id, number, name FROM steps WHERE id = ?",
              (r[1],))[0]
        want["build_id"] = s[0]
        want["step"] = {"id": r[1], "number": s[1], "name": s[2]}
        st, h, j, raw = get(base, "/api/v1/logs/%d" % r[0])
        if j != want:
            good = report(False, "logs/%d" % r[0], diff(j, want))
    report(good, "logs/{id}: metadata of %d logs" % len(logs))
    pr = q(db, "SELECT id, pruned_at FROM logs WHERE state = 'pruned'")
    if report(len(pr) > 0, "(a pruned log)"):
        st, h, j, raw = get(base, "/api/v1/logs/%d" % pr[0][0])
        report(j["state"] == "pruned" and j["pruned_at"] == pr[0][1] and
               j["url"] == "/logs/%d" % pr[0][0],
               "a pruned log says state \"pruned\" with pruned_at", raw)
    # Live builds carry no build requests: those come from state.sqlite.
    kinds = ["sourcestamps", "properties", "changes"]
    if os.environ.get("FIX") == "1":
        kinds.append("requests")
    for kind in kinds:
        n = sum(1 for b in builds if E.build_detail(b)[kind])
        report(n > 0, "(%d builds have %s)" % (n, kind))

    # changes
    changes = E.changes()
    for limit in (None, 4, 1000) if again else (None, 1, 4, 1000):
        items, pages, err = walk(base, "/api/v1/changes", {}, limit)
        report(err is None and items == changes, "changes, limit %s: %d pages"
               " give every change once, newest first" % (limit or "default",
                                                          pages),
               err or diff(items, changes))
    c0 = [c for c in changes if c["branch"] and c["author"]][0]
    wt = sorted(c["when_at"] for c in changes if c["when_at"] is not None)
    mid_w = wt[len(wt) // 2]
    for params, pred in [
            ({"branch": c0["branch"]}, lambda c: c["branch"] == c0["branch"]),
            ({"author": c0["author"]}, lambda c: c["author"] == c0["author"]),
            ({"repository": c0["repository"] or "x"},
             lambda c: c["repository"] == (c0["repository"] or "x")),
            ({"project": c0["project"] or "x"},
             lambda c: c["project"] == (c0["project"] or "x")),
            ({"revision": c0["revision"]},
             lambda c: c["revision"] == c0["revision"]),
            ({"master": c0["master"]}, lambda c: c["master"] == c0["master"]),
            ({"master": str(c0["master_id"])},
             lambda c: c["master_id"] == c0["master_id"]),
            ({"since": repr(mid_w)}, lambda c: c["when_at"] is not None and
             c["when_at"] >= mid_w),
            ({"until": iso(int(mid_w))}, lambda c: c["when_at"] is not None
             and c["when_at"] < int(mid_w)),
            ({"author": c0["author"], "branch": "nope"}, lambda c: False)]:
        want = [c for c in changes if pred(c)]
        items, pages, err = walk(base, "/api/v1/changes", params, 2)
        report(err is None and items == want, "changes?%s: %d changes" % (
            urllib.parse.urlencode(params), len(want)),
            err or diff(items, want))
    good = True
    nfiles = nprops = nbuilds = 0
    prefetch(base, ["/api/v1/changes/%d" % c["id"] for c in changes])
    for c in changes:
        want = dict(c)
        want["files"] = sorted(r[0] for r in q(db, "SELECT filename FROM "
                               "change_files WHERE change_id = ?", (c["id"],)))
        want["properties"] = E.props("change_properties", "change_id",
                                     c["id"])
        want["builds"] = [b for b in builds if b["id"] in set(r[0] for r in
                          q(db, "SELECT build_id FROM build_changes WHERE "
                            "change_id = ?", (c["id"],)))]
        nfiles += len(want["files"])
        nprops += len(want["properties"])
        nbuilds += len(want["builds"])
        st, h, j, raw = get(base, "/api/v1/changes/%d" % c["id"])
        if j != want:
            good = report(False, "changes/%d" % c["id"], diff(j, want))
    report(good and nfiles > 0 and nbuilds > 0, "changes/{id}: %d changes "
           "with %d files, %d properties, %d builds" % (len(changes), nfiles,
                                                        nprops, nbuilds))

    # slaves
    slaves = E.slaves()
    st, h, j, raw = get(base, "/api/v1/slaves")
    same("slaves: every slave, every field", j and j["items"], slaves)
    report(len(slaves) > 0 and any(not s["connected"] for s in slaves) or
           any(s["connected"] for s in slaves), "(%d slaves)" % len(slaves))
    for params, pred in [
            ({"connected": "1"}, lambda s: s["connected"]),
            ({"connected": "0"}, lambda s: not s["connected"]),
            ({"master": slaves[0]["master"]},
             lambda s: s["master"] == slaves[0]["master"]),
            ({"master": str(slaves[0]["master_id"]), "connected": "true"},
             lambda s: s["master_id"] == slaves[0]["master_id"] and
             s["connected"])]:
        st, h, j, raw = get(base, "/api/v1/slaves?" +
                            urllib.parse.urlencode(params))
        same("slaves?%s" % urllib.parse.urlencode(params), j and j["items"],
             [s for s in slaves if pred(s)])
    good = True
    prefetch(base, ["/api/v1/slaves/%d" % s["id"] for s in slaves])
    for s in slaves:
        st, h, j, raw = get(base, "/api/v1/slaves/%d" % s["id"])
        good = good and j == s
    report(good, "slaves/{id}")


def check_etag(base, dbpath):
    db = sqlite3.connect(dbpath)
    bid = q(db, "SELECT max(id) FROM builds")[0][0]
    paths = ["/api/v1", "/api/v1/masters", "/api/v1/masters/1",
             "/api/v1/builders", "/api/v1/builders/1", "/api/v1/builds",
             "/api/v1/builds/%d" % bid, "/api/v1/builds/%d/steps" % bid,
             "/api/v1/changes", "/api/v1/changes/1", "/api/v1/slaves",
             "/api/v1/logs/1", "/api/v1/steps/1"]
    good, n304, nother = True, 0, 0
    for p in paths:
        st, h, data = curl(base, p)
        tag = h.get("etag", "")
        if st != 200 or tag != '"%s"' % fnv128(data.rstrip(b"\n")):
            good = report(False, "ETag of " + p, "%d %s" % (st, tag))
            continue
        st2, h2, d2 = curl(base, p, headers=["If-None-Match: " + tag])
        if st2 == 304 and d2 == b"" and h2.get("etag") == tag:
            n304 += 1
        st3, h3, d3 = curl(base, p, headers=['If-None-Match: "0123", W/' +
                                             tag])
        st4, h4, d4 = curl(base, p, headers=['If-None-Match: "00000000"'])
        if st3 == 304 and st4 == 200 and d4 == data:
            nother += 1
    report(good, "every 200 has an ETag: FNV-1a 128 of its body")
    report(n304 == len(paths), "If-None-Match with the ETag: 304, empty "
           "body, the ETag (%d of %d)" % (n304, len(paths)))
    report(nother == len(paths), "If-None-Match: a list (weak too) matches;"
           " another tag gives 200 and the body")
    st, h, data = curl(base, "/api/v1/builds")
    st2, h2, data2 = curl(base, "/api/v1/builds", head=True)
    report(st2 == 200 and h2.get("etag") == h.get("etag") and
           h2.get("content-length") == str(len(data)),
           "HEAD: 200, the GET's ETag and length")
    st, h, data = curl(base, "/api/v1/builds/%d" % bid)
    st2, h2, data2 = curl(base, "/api/v1/builds/%d" % bid)
    report(data == data2 and h["etag"] == h2["etag"],
           "the same data gives the same ETag")


def check_errors(base, dbpath):
    db = sqlite3.connect(dbpath)
    big = q(db, "SELECT max(id) FROM builds")[0][0] + 1000
    cases = [
        ("/api/v1/builds/abc", 400, "build id"),
        ("/api/v1/builds/-1", 400, "build id"),
        ("/api/v1/builds/0", 400, "build id"),
        ("/api/v1/builds/1.5", 400, "build id"),
        ("/api/v1/builds/99999999999999999999", 400, "build id"),
        ("/api/v1/builds/%d" % big, 404, "build %d not found" % big),
        ("/api/v1/builds/%d/steps" % big, 404, "build %d not found" % big),
        ("/api/v1/builds/1/nope", 404, "no such endpoint"),
        ("/api/v1/builds/1/steps/2", 404, "no such endpoint"),
        ("/api/v1/masters/%d" % big, 404, "master %d not found" % big),
        ("/api/v1/masters/x", 400, "master id"),
        ("/api/v1/builders/%d" % big, 404, "builder %d not found" % big),
        ("/api/v1/builders/1x", 400, "builder id"),
        ("/api/v1/steps/%d" % (big * 100), 404, "not found"),
        ("/api/v1/steps/s", 400, "step id"),
        ("/api/v1/logs/%d" % (big * 100), 404, "log %d not found" % (big * 100)),
        ("/api/v1/logs/..%2f..%2fetc%2fpasswd", 404, "no such endpoint"),
        ("/api/v1/logs/..", 400, "log id"),
        ("/api/v1/changes/%d" % (big * 100), 404, "not found"),
        ("/api/v1/changes/%27", 400, "change id"),
        ("/api/v1/slaves/%d" % big, 404, "slave %d not found" % big),
        ("/api/v1/slaves/a", 400, "slave id"),
        ("/api/v1/nope", 404, "no such endpoint"),
        ("/api/v1/builds?limit=1001", 400, "limit: 1001 is over the maximum 1000"),
        ("/api/v1/builds?limit=0", 400, "limit"),
        ("/api/v1/builds?limit=-5", 400, "limit"),
        ("/api/v1/builds?limit=ten", 400, "limit"),
        ("/api/v1/changes?limit=5000", 400, "over the maximum 1000"),
        ("/api/v1/builds?cursor=nonsense", 400, "cursor"),
        ("/api/v1/builds?cursor=n.5.00000000", 400, "cursor"),
        ("/api/v1/builds?result=green", 400, "result"),
        ("/api/v1/builds?result=-1", 400, "result"),
        ("/api/v1/builds?since=yesterday", 400, "since"),
        ("/api/v1/builds?since=2024-02-30", 400, "since"),
        ("/api/v1/builds?until=2024-01-01T25:00:00Z", 400, "until"),
        ("/api/v1/builds?until=1e10", 400, "until"),
        ("/api/v1/builds?until=-1", 400, "until"),
        ("/api/v1/builds?since=99999999999999", 400, "since"),
        ("/api/v1/builds?since=1969-12-31", 400, "since"),
        ("/api/v1/builds?since=nan", 400, "since"),
        ("/api/v1/builds?complete=yes", 400, "complete"),
        ("/api/v1/builds?builder=12345678901234567890123", 400, "builder"),
        ("/api/v1/builds?master=0", 400, "master"),
        ("/api/v1/builds?bulider=1", 400, "unknown parameter \"bulider\""),
        ("/api/v1/builds?builder=1&builder=2", 400, "more than once"),
        ("/api/v1/builds?builder=", 400, "builder: empty value"),
        ("/api/v1/builds?builder", 400, "builder: empty value"),
        ("/api/v1/builds/1?limit=3", 400, "unknown parameter \"limit\""),
        ("/api/v1/masters?master=1", 400, "unknown parameter"),
        ("/api/v1/slaves?connected=2", 400, "connected"),
        ("/api/v1/changes?since=x", 400, "since"),
        ("/api/v1/changes?result=failure", 400, "unknown parameter"),
    ]
    good = 0
    for path, status, words in cases:
        st, h, j, raw = get(base, path)
        e = j.get("error", {}) if isinstance(j, dict) else {}
        code = {400: "bad_request", 404: "not_found"}[status]
        if (st == status and e.get("status") == status and
                e.get("code") == code and words in e.get("message", "") and
                h.get("content-type") == "application/json" and
                "etag" not in h):
            good += 1
        else:
            report(False, "error for %s" % path, "%d %r" % (st, raw[:300]))
    report(good == len(cases), "%d error paths: status, code, a message "
           "naming the parameter, no ETag" % len(cases))
    # A cursor of one list is refused by another.
    st, h, j, raw = get(base, "/api/v1/builds?limit=1")
    st2, h, j2, raw = get(base, "/api/v1/changes?cursor=" + j["next"])
    report(st2 == 400 and "cursor" in j2["error"]["message"],
           "a builds cursor is refused by changes")
    tampered = j["next"][:-1] + ("0" if j["next"][-1] != "0" else "1")
    st2, h, j2, raw = get(base, "/api/v1/builds?cursor=" + tampered)
    report(st2 == 400, "a tampered cursor is refused")
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        st, h, j, raw = get(base, "/api/v1/builds", method=m)
        report(st == 405 and j["error"]["code"] == "method_not_allowed" and
               "GET" in h.get("allow", ""), "%s: 405 with Allow" % m, raw)


HOSTILE = ["1 OR 1=1", "'; DROP TABLE builds;--", "%00", "1%00", "1e999",
           "99999999999999999999999", "-1", "0x10", "../../etc/passwd",
           "%27%22%3B%5C", "\u00e9\u2603", "x" * 10240]


def counts(db):
    return [(t, q(db, "SELECT count(*) FROM %s" % t)[0][0]) for (t,) in
            q(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
              "AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def check_hostile(base, dbpath):
    db = sqlite3.connect(dbpath)
    before = counts(db)
    numeric = [("builds", "limit"), ("builds", "cursor"),
               ("builds", "result"), ("builds", "since"),
               ("builds", "until"), ("builds", "complete"),
               ("changes", "cursor"), ("changes", "since"),
               ("slaves", "connected")]
    texts = [("builds", "builder"), ("builds", "master"),
             ("builds", "branch"), ("builds", "slave"),
             ("changes", "author"), ("changes", "branch"),
             ("changes", "repository"), ("changes", "project"),
             ("changes", "revision"), ("builders", "master"),
             ("builders", "state"), ("slaves", "master")]
    n = bad = 0
    worst = []
    for v in HOSTILE:
        raw = v if "%" in v else urllib.parse.quote(v, safe="")
        # "%00" reaches the handler as those three characters (bbmirrord
        # does not decode it): a bad number, a name that matches nothing.
        for ep, p in numeric + texts:
            st, h, j, body = get(base, "/api/v1/%s?%s=%s" % (ep, p, raw))
            n += 1
            if (ep, p) in numeric or len(v) > 1024:
                good = 400 <= st < 500 and (len(v) > 1024 or
                                            j["error"]["status"] == st)
            elif v.strip("0123456789") == "" and p in ("builder", "master"):
                good = st == 400
            else:
                good = st == 200 and j["items"] == [] and \
                    j.get("next") is None
            if not good:
                bad += 1
                worst.append("%s?%s=%s: %d %r" % (ep, p, v[:20], st,
                                                  body[:120]))
        for ep in ("builds", "builders", "masters", "changes", "slaves",
                   "logs", "steps"):
            st, h, j, body = get(base, "/api/v1/%s/%s" % (ep, raw))
            n += 1
            if not 400 <= st < 500:
                bad += 1
                worst.append("%s/%s: %d" % (ep, v[:20], st))
    report(bad == 0, "%d requests with hostile values: 4xx for numbers, "
           "cursors, times and ids; text filters match nothing" % n,
           "\n".join(worst))
    st, h, j, body = get(base, "/api/v1/builds?" + "&".join(
        "%s=%s" % (k, "x" * 1000) for k in ("builder", "branch", "slave",
                                            "master")))
    report(st == 200 and j["items"] == [], "four 1000-byte filters: 200, "
           "nothing matches")
    st, h, j, body = get(base, "/api/v1/builds?" + "&".join(
        "p%d=1" % i for i in range(200)))
    report(st == 400, "200 unknown parameters: 400")
    after = counts(db)
    report(before == after, "the database is intact: every table's row count"
           " unchanged", diff(after, before))
    report(q(db, "PRAGMA integrity_check")[0][0] == "ok",
           "the database passes integrity_check")


def check_live(base, dbpath, donefile):
    """Pagination while a replay inserts builds that interleave."""
    db = sqlite3.connect(dbpath)
    deadline = time.time() + 60
    first = q(db, "SELECT count(*) FROM builds")[0][0]
    while q(db, "SELECT count(*) FROM builds")[0][0] == first:
        if time.time() > deadline or os.path.exists(donefile):
            break
        time.sleep(0.05)
    s0 = set(r[0] for r in q(db, "SELECT id FROM builds"))
    seen, pages, cursor, err = [], 0, None, None
    keys = []
    while True:
        st, h, j, raw = get(base, "/api/v1/builds?limit=4" +
                            ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            err = "page %d: %d %r" % (pages, st, raw[:200])
            break
        pages += 1
        for b in j["items"]:
            seen.append(b["id"])
            keys.append((b["started_at"] is None, -(b["started_at"] or 0),
                         -b["id"]))
        cursor = j["next"]
        if cursor is None:
            break
        time.sleep(0.1)
    after = set(r[0] for r in q(db, "SELECT id FROM builds"))
    new = after - s0
    report(err is None, "live: %d pages walked while builds were inserted" %
           pages, err)
    report(len(seen) == len(set(seen)), "live: no build seen twice",
           sorted(x for x in seen if seen.count(x) > 1))
    report(s0 <= set(seen), "live: every build that existed at the first "
           "page was seen (%d)" % len(s0), sorted(s0 - set(seen))[:20])
    report(keys == sorted(keys) and len(set(keys)) == len(keys),
           "live: the pages are in strict (started_at, id) order")
    report(len(new) > 0, "live: %d builds were inserted during the walk, "
           "%d of them behind the cursor and seen" %
           (len(new), len(new & set(seen))))
    print("inserted %d, seen %d of them, %d pages" % (
        len(new), len(new & set(seen)), pages))


def check_compare(base1, base2, dbpath):
    db = sqlite3.connect(dbpath)
    paths = ["/api/v1", "/api/v1/masters", "/api/v1/builders",
             "/api/v1/slaves", "/api/v1/builds?limit=1000",
             "/api/v1/builds?limit=3", "/api/v1/changes?limit=1000",
             "/api/v1/builds?result=failure&limit=1000",
             "/api/v1/builds?complete=0", "/api/v1/builds/abc",
             "/api/v1/builds?limit=5000", "/api/v1/nope"]
    paths += ["/api/v1/masters/%d" % r[0] for r in q(db, "SELECT id FROM "
              "masters")]
    paths += ["/api/v1/builders/%d" % r[0] for r in q(db, "SELECT id FROM "
              "builders")]
    paths += ["/api/v1/builds/%d" % r[0] for r in q(db, "SELECT id FROM "
              "builds ORDER BY id DESC LIMIT 40")]
    paths += ["/api/v1/changes/%d" % r[0] for r in q(db, "SELECT id FROM "
              "changes LIMIT 20")]
    paths += ["/api/v1/logs/%d" % r[0] for r in q(db, "SELECT id FROM "
              "logs LIMIT 20")]
    differ = []
    for p in paths:
        a = curl(base1, p)
        b = curl(base2, p)
        if a[0] != b[0] or a[2] != b[2] or a[1].get("etag") != \
                b[1].get("etag"):
            differ.append("%s: %d/%d" % (p, a[0], b[0]))
    report(not differ, "--read-only answers %d requests byte for byte like "
           "the writer, ETags included" % len(paths), "\n".join(differ))
    st, h, d = curl(base1, "/api/v1/builds?limit=2")
    st2, h2, d2 = curl(base2, "/api/v1/builds?limit=2",
                       headers=["If-None-Match: " + h["etag"]])
    report(st2 == 304, "--read-only: the writer's ETag gives 304")


def main():
    mode = sys.argv[1]
    t0 = time.time()
    try:
        if mode == "static":
            check_static(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
        elif mode == "etag":
            check_etag(sys.argv[2], sys.argv[3])
        elif mode == "errors":
            check_errors(sys.argv[2], sys.argv[3])
        elif mode == "hostile":
            check_hostile(sys.argv[2], sys.argv[3])
        elif mode == "live":
            check_live(sys.argv[2], sys.argv[3], sys.argv[4])
        elif mode == "compare":
            check_compare(sys.argv[2], sys.argv[3], sys.argv[4])
    except Exception:
        report(False, "checker %s raised" % mode, traceback.format_exc())
    t = time.time() - t0
    print("%s: %d requests with curl in %.1f s (%.1f ms each, curl's start "
          "included)" % (mode, REQUESTS[0], t, 1000 * t / max(REQUESTS[0], 1)))


main()
PYEOF

# --- the data ---------------------------------------------------------------
FIX=1
for f in v082 v087p1 master-0-7-5; do
	[ -f "$BBM_FIXTURES/$f.tgz" ] || FIX=0
done
if [ $FIX -eq 1 ]; then
	"$IMPORT" --db "$DB" --logstore "$LS" --quiet "$(fixture v082)" \
	    "$(fixture v087p1)" "$(fixture master-0-7-5)"
	ok $? "the fixture masters imported (0.7.5, 0.8.2, 0.8.7p1)"
else
	echo "# fixtures not in $BBM_FIXTURES: live data only"
fi
"$PYTHON3" "$GEN" --builds 40 --master alpha --log-bytes 400 --big-every 0 \
    --seed 1 --out "$T_TMP/alpha.bin" >/dev/null
ok $? "recording alpha (40 builds) generated"
"$PYTHON3" "$GEN" --builds 40 --master beta --log-bytes 400 --big-every 0 \
    --seed 2 --out "$T_TMP/beta.bin" >/dev/null
ok $? "recording beta (40 builds, the same times) generated"

http_daemon_start main -s "$S" -d "$DB" -l "$LS" --http 127.0.0.1:0
ok $? "bbmirrord started with --http on a free port ($PORT)"
MAIN=$DPID
B="http://127.0.0.1:$PORT"
"$R" -s "$S" -q "$T_TMP/alpha.bin"
ok $? "recording alpha replayed"

# Builds without a start time (not produced by these sources, allowed by
# the schema) and a pruned log: written beside the daemon, as any writer.
"$PYTHON3" - "$DB" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
bid = db.execute("SELECT min(id) FROM builders").fetchone()[0]
for n in (900, 901, 902):
    db.execute("INSERT INTO builds (builder_id, number, started_at, complete, "
               "results, origin, updated_at) VALUES (?, ?, NULL, 0, NULL, "
               "'import', 1700000000.5)", (bid, n))
lid = db.execute("SELECT min(id) FROM logs WHERE state = 'stored'").fetchone()[0]
db.execute("UPDATE logs SET state = 'pruned', store_key = NULL, "
           "pruned_at = 1700000123.25 WHERE id = ?", (lid,))
db.commit()
PYEOF
ok $? "three builds without a start time and a pruned log added"

export T_TMP FIX
check static "$B" "$DB"
check etag "$B" "$DB"
check errors "$B" "$DB"
check hostile "$B" "$DB"

# ETags follow the data: the list changes with the next replay, a master
# that does not changes not.
tag() {
	curl -s -D - -o /dev/null "$B$1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'
}
t_builds=$(tag /api/v1/builds)
t_master=$(tag /api/v1/masters/1)

# Keyset pagination while the beta replay inserts builds whose start times
# interleave with alpha's.
rm -f "$T_TMP/beta.done"
("$R" -s "$S" -q --rate 400 "$T_TMP/beta.bin"; echo $? >"$T_TMP/beta.done") &
check live "$B" "$DB" "$T_TMP/beta.done"
i=0
while [ ! -s "$T_TMP/beta.done" ] && [ $i -lt 1200 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(cat "$T_TMP/beta.done" 2>/dev/null)" "0" "recording beta replayed"
[ "$(tag /api/v1/builds)" != "$t_builds" ]
ok $? "the ETag of /builds changed with the new builds"
is "$(tag /api/v1/masters/1)" "$t_master" "the ETag of an unchanged master is the same"
check static "$B" "$DB" again

# A --read-only daemon on the same database answers identically.
http_daemon_start ro -d "$DB" -l "$LS" --read-only --http 127.0.0.1:0
ok $? "bbmirrord --read-only started ($PORT)"
RO="http://127.0.0.1:$PORT"
RODPID=$DPID
check compare "$B" "$RO" "$DB"
daemon_stop "$RODPID"
is "$?" "0" "--read-only daemon: SIGTERM, exit 0"

# A reader whose database cannot be read answers 503 and keeps trying:
# missing (and not created), then too old a schema.
http_daemon_start gone -d "$T_TMP/gone.sqlite" -l "$T_TMP/gone-ls" --read-only \
    --http 127.0.0.1:0
ok $? "bbmirrord --read-only on a missing database starts ($PORT)"
GONEPID=$DPID
st=$(curl -s -o "$T_TMP/gone.json" -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/builds")
is "$st" "503" "a missing database: 503"
grep -q '"code":"unavailable","message":"database: .*gone.sqlite' "$T_TMP/gone.json"
ok $? "... an unavailable error naming the database"
[ ! -e "$T_TMP/gone.sqlite" ]
ok $? "... and the reader did not create it"
cp "$DB" "$T_TMP/gone.sqlite"
"$PYTHON3" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM schema_version WHERE version > 2"); c.commit()' \
    "$T_TMP/gone.sqlite"
st=$(curl -s -o "$T_TMP/gone.json" -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/masters")
is "$st" "503" "a database of schema version 2: 503"
grep -q "schema version 2, this reader needs 3" "$T_TMP/gone.json"
ok $? "... saying which version it needs"
daemon_stop "$GONEPID"
is "$?" "0" "that reader: SIGTERM, exit 0"

daemon_stop "$MAIN"
is "$?" "0" "main daemon: SIGTERM, exit 0"
no_reports "no sanitizer or valgrind reports" "Invalid read\|Invalid write"
done_testing
