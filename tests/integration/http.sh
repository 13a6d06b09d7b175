#!/bin/sh
# bbmirrord's HTTP server (--http): the listening address (port 0 gives a
# real port, named in the startup line; bad or busy addresses refused),
# /healthz and /metrics (the Prometheus text format, counters that follow
# a replay), error objects for unknown paths and methods, HEAD, keep-alive,
# hostile clients (huge headers, junk, slow-loris clients that must not
# stall ingest), and --read-only readers beside the writer.
#
# BBMIRRORD_WRAPPER runs the daemons under a tool, for example
# "valgrind --leak-check=full --error-exitcode=3".
. "${top_srcdir:-.}/tests/integration/lib.sh"

http_init
GEN="$top_srcdir/bench/gen-events.py"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is needed for recordings"

# The metrics checker: "check FILE" validates the text format; "get FILE
# SERIES" prints a sample's value (nothing if absent).
cat >"$T_TMP/metrics.py" <<'PYEOF'
import math, re, sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$' % (NAME, LABEL, LABEL))
COMMENT = re.compile(r'^# (HELP|TYPE) (%s) (.+)$' % NAME)

def parse(path):
    text = open(path, encoding='utf-8').read()
    errors, types, samples = [], {}, {}
    if not text.endswith('\n'):
        errors.append('no final newline')
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith('#'):
            m = COMMENT.match(line)
            if not m:
                errors.append('line %d: bad comment: %r' % (n, line))
            elif m.group(1) == 'TYPE':
                if m.group(3) not in ('counter', 'gauge', 'histogram',
                                      'summary', 'untyped'):
                    errors.append('line %d: bad type' % n)
                types[m.group(2)] = m.group(3)
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append('line %d: not NAME{LABELS} VALUE: %r' % (n, line))
            continue
        name, value = m.group(1), m.group(3)
        try:
            v = float(value)
        except ValueError:
            errors.append('line %d: bad value %r' % (n, value))
            continue
        family = name
        for suffix in ('_bucket', '_sum', '_count'):
            if name.endswith(suffix) and \
                    types.get(name[:-len(suffix)]) == 'histogram':
                family = name[:-len(suffix)]
        if family not in types:
            errors.append('line %d: %s has no TYPE line before it' % (n, name))
        if types.get(family) == 'counter' and (v < 0 or math.isnan(v)):
            errors.append('line %d: negative counter' % n)
        samples[name + (m.group(2) or '')] = v
    # Histogram buckets are cumulative and end with +Inf = _count.
    for fam, t in types.items():
        if t != 'histogram':
            continue
        buckets = [(k, v) for k, v in samples.items()
                   if k.startswith(fam + '_bucket{')]
        vals = [v for k, v in buckets]
        if not buckets or vals != sorted(vals):
            errors.append('%s: buckets missing or not cumulative' % fam)
        if samples.get(fam + '_bucket{le="+Inf"}') != samples.get(fam + '_count'):
            errors.append('%s: +Inf bucket differs from _count' % fam)
    return errors, samples

errors, samples = parse(sys.argv[2])
if sys.argv[1] == 'check':
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)
v = samples.get(sys.argv[3])
if v is not None:
    print(int(v) if v == int(v) else v)
PYEOF
mcheck() { "$PYTHON3" "$T_TMP/metrics.py" check "$1"; }
mget() { "$PYTHON3" "$T_TMP/metrics.py" get "$1" "$2"; }

# errshape FILE STATUS CODE: FILE is exactly an error object of the API.
errshape() {
	"$PYTHON3" - "$@" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
assert list(d) == ["error"], d
assert sorted(e) == ["code", "message", "status"], e
assert e["status"] == int(sys.argv[2]), e
assert e["code"] == sys.argv[3], e
assert isinstance(e["message"], str) and e["message"], e
PYEOF
}

# jfield FILE KEY: a top-level value of a JSON object, as JSON.
jfield() {
	"$PYTHON3" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$1" "$2"
}

S="$T_TMP/d.sock"
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/ls"

# --- start and addresses -----------------------------------------------------
daemon_start main -s "$S" -d "$DB" -l "$LS" --http 127.0.0.1:0 \
	--http-timeout 2 --http-threads 3
ok $? "bbmirrord with --http 127.0.0.1:0 started"
MAIN=$DPID
PORT=$(http_port main)
[ -n "$PORT" ] && [ "$PORT" -gt 0 ]
ok $? "startup line names the real port (127.0.0.1:$PORT)"
grep -q "listening on $S, http://127.0.0.1:$PORT " "$T_TMP/main.err"
ok $? "startup line: the socket, then the http:// address"

# bad_http WANT ADDRESS: refused with exit 1 and WANT on stderr.
bad_http() {
	"$D" -s "$T_TMP/bad.sock" -d "$T_TMP/bad.sqlite" -l "$T_TMP/bad-ls" \
		--http "$2" >/dev/null 2>"$T_TMP/bad.err"
	st=$?
	grep -q -- "$1" "$T_TMP/bad.err"
	gr=$?
	[ "$st" -eq 1 ] && [ "$gr" -eq 0 ]
	ok $? "--http $2: exit 1 ($st), \"$1\""
	[ "$gr" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/bad.err"
}
bad_http "--http: nohost: expected ADDR:PORT" nohost
bad_http "--http: 127.0.0.1:65536: expected ADDR:PORT" 127.0.0.1:65536
bad_http "--http: 127.0.0.1:: expected" "127.0.0.1:"
bad_http "--http: ::1:80: write an IPv6 address in brackets" ::1:80
bad_http "--http: \[::1:80: expected" "[::1:80"
bad_http "--http: cannot listen on 127.0.0.1:$PORT: Address already in use" \
	"127.0.0.1:$PORT"
[ ! -e "$T_TMP/bad.sock" ]; ok $? "a refused start leaves no socket behind"

# "PORT" is loopback; ":PORT" is every address (IPv4 included).
daemon_start portonly -s "$T_TMP/p.sock" -d "$T_TMP/p.sqlite" -l "$T_TMP/p-ls" --http 0
ok $? "--http 0 started"
p=$(http_port portonly)
grep -q "http://127.0.0.1:$p " "$T_TMP/portonly.err"
ok $? "--http PORT listens on loopback (127.0.0.1:$p)"
daemon_stop "$DPID"
daemon_start anyaddr -s "$T_TMP/p.sock" -d "$T_TMP/p.sqlite" -l "$T_TMP/p-ls" --http :0
ok $? "--http :0 started"
p=$(http_port anyaddr)
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/healthz")" "200" \
	"--http :PORT answers on 127.0.0.1 ($(grep -o 'http://[^ ,]*' "$T_TMP/anyaddr.err"))"
daemon_stop "$DPID"
kill -0 "$MAIN"; ok $? "the running daemon is unaffected"

# --- /healthz --------------------------------------------------------------
is "$(http_get /healthz)" "200" "GET /healthz: 200"
"$PYTHON3" - "$T_TMP/body" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok" and d["database"] == "ok", d
assert d["schema_version"] >= 3 and d["read_only"] is False, d
assert d["engine"] == "sqlite", d
PYEOF
ok $? "/healthz: status ok, database ok, schema version >= 3, not read-only"
is "$(http_header Content-Type)" "application/json" "/healthz: Content-Type application/json"
is "$(http_header Cache-Control)" "no-cache" "/healthz: Cache-Control no-cache"
len=$(http_header Content-Length)
is "$(curl -s -I -o /dev/null -D "$T_TMP/hdr" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" \
	"200" "HEAD /healthz: 200"
is "$(http_header Content-Length)" "$len" "HEAD /healthz: the GET's Content-Length"
"$PYTHON3" - "$PORT" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD /healthz HTTP/1.0\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
assert data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"), data
assert data.endswith(b"\r\n\r\n"), data
PYEOF
ok $? "HEAD /healthz: no body on the wire"

# --- errors ------------------------------------------------------------------
is "$(http_get /nope)" "404" "GET /nope: 404"
errshape "$T_TMP/body" 404 not_found; ok $? "404: an error object {status, code, message}"
is "$(http_get /healthz/)" "404" "/healthz/ is not /healthz: 404"
is "$(http_get /HEALTHZ)" "404" "paths are case-sensitive: 404"
is "$(http_get /api/v1x)" "404" "/api/v1x is not the API: 404"
is "$(http_get /healthz -X POST -d a=b)" "405" "POST /healthz: 405"
errshape "$T_TMP/body" 405 method_not_allowed; ok $? "405: an error object"
is "$(http_header Allow)" "GET, HEAD" "405 for a GET resource: Allow: GET, HEAD"
is "$(http_get /push)" "405" "GET /push: 405"
is "$(http_header Allow)" "POST" "405 for /push: Allow: POST"
errshape "$T_TMP/body" 405 method_not_allowed; ok $? "GET /push: an error object"
is "$(http_get /metrics -X DELETE)" "405" "DELETE /metrics: 405"
is "$(http_get /healthz -H 'Expect: 100-continue' -X PUT --data-binary @"$GEN")" "405" \
	"PUT with a body: 405 without reading the body"

# Keep-alive: two requests, one connection.
n=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' \
	"http://127.0.0.1:$PORT/healthz" "http://127.0.0.1:$PORT/nope")
is "$n" "1 0 " "keep-alive: the second request reuses the connection"

# --- /metrics and a replay ---------------------------------------------------
is "$(http_get /metrics)" "200" "GET /metrics: 200"
cp "$T_TMP/body" "$T_TMP/m0"
is "$(http_header Content-Type)" "text/plain; version=0.0.4; charset=utf-8" \
	"/metrics: Content-Type of the text format 0.0.4"
mcheck "$T_TMP/m0" | sed 's/^/# /'
mcheck "$T_TMP/m0" >/dev/null; ok $? "/metrics: every line is a comment or NAME{LABELS} VALUE"
is "$(mget "$T_TMP/m0" bbmirror_events_total):$(mget "$T_TMP/m0" bbmirror_commits_total)" \
	"0:0" "before any ingest: no events, no commits"
[ -n "$(mget "$T_TMP/m0" process_start_time_seconds)" ]
ok $? "/metrics: process_start_time_seconds"

"$PYTHON3" "$GEN" --builds 20 --master gen --out "$T_TMP/gen.bin" >/dev/null
"$R" -s "$S" --stats "$T_TMP/gen.bin" >"$T_TMP/gen.json" 2>"$T_TMP/gen.err"
is "$?" "0" "replay of 20 generated builds"
nev=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$T_TMP/gen.json")
http_get /metrics >/dev/null
cp "$T_TMP/body" "$T_TMP/m1"
mcheck "$T_TMP/m1" >/dev/null; ok $? "/metrics after the replay: still well-formed"
is "$(mget "$T_TMP/m1" bbmirror_events_total)" "$nev" "bbmirror_events_total: the $nev events replayed"
commits=$(mget "$T_TMP/m1" bbmirror_commits_total)
[ "$commits" -gt 0 ]; ok $? "bbmirror_commits_total > 0 ($commits)"
is "$(mget "$T_TMP/m1" bbmirror_commit_seconds_count)" "$commits" \
	"bbmirror_commit_seconds: one observation per commit"
is "$(mget "$T_TMP/m1" bbmirror_commit_failures_total)" "0" "no failed commits"
is "$(mget "$T_TMP/m1" bbmirror_batch_events)" "0" "queue depth 0 once committed"
ts=$(mget "$T_TMP/m1" 'bbmirror_last_event_timestamp_seconds{master="gen"}')
want=$("$PYTHON3" - "$DB" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute("SELECT max(coalesce(b.finished_at, b.started_at)) FROM builds b JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = 'gen'").fetchone()[0])
PYEOF
)
"$PYTHON3" -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if a >= b > 0 else 1)' "${ts:-0}" "$want"
ok $? "last event time of master gen ($ts) is at least its newest build time"
lag=$(mget "$T_TMP/m1" 'bbmirror_replication_lag_seconds{master="gen"}')
[ -n "$lag" ]; ok $? "bbmirror_replication_lag_seconds{master=\"gen\"} ($lag)"
hz=$(mget "$T_TMP/m1" 'bbmirror_http_requests_total{route="healthz",code="200"}')
[ "${hz:-0}" -ge 2 ]; ok $? "HTTP requests counted by route and code (healthz 200: $hz)"
[ "$(mget "$T_TMP/m1" 'bbmirror_http_requests_total{route="unknown",code="404"}')" -ge 2 ]
ok $? "... and the 404s"
echo "# commit latency: $(mget "$T_TMP/m1" bbmirror_commit_seconds_sum) s over $commits commits"

# Label values are escaped: a master named with a quote and a backslash.
"$PYTHON3" "$GEN" --builds 1 --master 'we"ird\name' --out "$T_TMP/weird.bin" >/dev/null
"$R" -s "$S" -q "$T_TMP/weird.bin" 2>/dev/null
is "$?" "0" "replay of a master whose name has a quote and a backslash"
http_get /metrics >/dev/null
mcheck "$T_TMP/body" >/dev/null; ok $? "/metrics with that master: well-formed"
grep -q 'bbmirror_replication_lag_seconds{master="we\\"ird\\\\name"} ' "$T_TMP/body"
ok $? "... its label value escaped"

# The connection gauge, while a slow replay is connected.
"$PYTHON3" "$GEN" --builds 5 --master slow --out "$T_TMP/slow.bin" >/dev/null
"$R" -s "$S" -q -r 100 "$T_TMP/slow.bin" 2>/dev/null &
rp=$!
c=0
i=0
while [ $i -lt 100 ] && kill -0 $rp 2>/dev/null; do
	http_get /metrics >/dev/null
	c=$(mget "$T_TMP/body" bbmirror_connections)
	[ "${c:-0}" -ge 1 ] && break
	sleep 0.05
	i=$((i + 1))
done
wait $rp
[ "${c:-0}" -ge 1 ]; ok $? "bbmirror_connections counts a connected replay ($c)"
i=0
while [ $i -lt 100 ]; do
	http_get /metrics >/dev/null
	c=$(mget "$T_TMP/body" bbmirror_connections)
	[ "$c" = 0 ] && break
	sleep 0.05
	i=$((i + 1))
done
is "$c" "0" "... and 0 once it has closed"

# --- hostile clients ---------------------------------------------------------
"$PYTHON3" -c 'print("X-Big: " + "a" * 65536)' >"$T_TMP/bighdr"
code=$(http_get /healthz -H @"$T_TMP/bighdr")
case $code in 413|414|431) r=0 ;; *) r=1 ;; esac
ok $r "a 64 KiB header: refused with $code"
code=$(http_get "/$("$PYTHON3" -c 'print("a" * 40000)')")
case $code in 413|414|431) r=0 ;; *) r=1 ;; esac
ok $r "a 40 KB URL: refused with $code"
is "$(http_get /healthz)" "200" "still serving after huge headers"

# 2000 junk requests, 100 at a time.
cat >"$T_TMP/junk.py" <<'PYEOF'
import random, socket, sys, time
from concurrent.futures import ThreadPoolExecutor

port = int(sys.argv[1])
rnd = random.Random(4)
JUNK = [
    lambda: bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 3000))),
    lambda: b"GET / HTTP/9.9\r\n\r\n",
    lambda: b"\r\n\r\n\r\n",
    lambda: b"G" * 5000 + b" / HTTP/1.1\r\n\r\n",
    lambda: b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    lambda: b"POST /push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    lambda: b"POST /push HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    lambda: b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 3000 + b"\r\n",
    lambda: b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
    lambda: b"GET /\x00\xff%zz?a=%%%&&== HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda: b"GET /logs/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda: b"GET /api/v1/builds?limit='%3B%20DROP%20TABLE%20builds%3B-- HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda: b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda: b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n" * 20,
]

def one(i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(JUNK[i % len(JUNK)]())
        if i % 3 == 0:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(0.5)
        try:
            while s.recv(65536):
                if i % 2:
                    break
        except OSError:
            pass
        s.close()
    except OSError:
        pass

t0 = time.time()
with ThreadPoolExecutor(100) as ex:
    list(ex.map(one, range(2000)))
print("%.1f" % (time.time() - t0))
PYEOF
secs=$("$PYTHON3" "$T_TMP/junk.py" "$PORT")
echo "# 2000 junk requests in $secs s"
kill -0 "$MAIN"; ok $? "2000 junk requests: the daemon is alive"
is "$(http_get /healthz)" "200" "... and serves /healthz"

# Slow-loris clients (a header byte a second) while a replay runs: the
# clients are cut off after about --http-timeout (2 s), the replay is
# acknowledged in full.
cat >"$T_TMP/loris.py" <<'PYEOF'
import select, socket, sys, time
port, n, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks, cut = [], {}
t0 = time.time()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
while len(cut) < n and time.time() - t0 < limit:
    for s in socks:
        if s in cut:
            continue
        try:
            s.sendall(b"X")
        except OSError:
            cut[s] = time.time() - t0
    r, _, _ = select.select([s for s in socks if s not in cut], [], [], 1.0)
    for s in r:
        try:
            if s.recv(4096) == b"":
                cut[s] = time.time() - t0
        except OSError:
            cut[s] = time.time() - t0
print(len(cut), "%.1f" % max(cut.values() or [0]))
PYEOF
"$PYTHON3" "$GEN" --builds 40 --master loris --out "$T_TMP/loris.bin" >/dev/null
"$PYTHON3" "$T_TMP/loris.py" "$PORT" 20 30 >"$T_TMP/loris.out" &
lp=$!
sleep 0.5
"$R" -s "$S" --stats -r 2000 "$T_TMP/loris.bin" >"$T_TMP/loris.json" 2>/dev/null
rs=$?
wait $lp
read -r ncut lsecs <"$T_TMP/loris.out"
is "$ncut" "20" "20 slow-loris clients all disconnected (the last after $lsecs s)"
"$PYTHON3" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 30 else 1)' "${lsecs:-99}"
ok $? "... well before the client gave up (30 s)"
is "$rs" "0" "a replay during the slow-loris attack exits 0"
nl=$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["last_seq"] == d["events"] > 0)' "$T_TMP/loris.json")
is "$nl" "True" "... and every event of it was acknowledged"
echo "# replay during the attack: $("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["events_per_s"], "events/s, ack p99", d["ack_p99_ms"], "ms")' "$T_TMP/loris.json")"
is "$(http_get /healthz)" "200" "still serving after the slow-loris clients"

# --- --read-only ---------------------------------------------------------------
"$D" --read-only -d "$DB" -l "$LS" >/dev/null 2>"$T_TMP/ro0.err"
is "$?" "2" "--read-only without --http: exit 2"
grep -q -- "--read-only needs --http" "$T_TMP/ro0.err"
ok $? "... saying it needs --http"

RPORT=$(free_port)
daemon_start ro --read-only --http "127.0.0.1:$RPORT" -d "$DB" -l "$LS"
ok $? "a --read-only reader beside the running writer"
RO=$DPID
grep -q "serving $DB read-only on http://127.0.0.1:$RPORT/" "$T_TMP/ro.err"
ok $? "reader's startup line names the database and its address"
MPORT=$PORT
PORT=$RPORT
is "$(http_get /healthz)" "200" "reader: /healthz 200"
is "$(jfield "$T_TMP/body" read_only):$(jfield "$T_TMP/body" database)" 'true:"ok"' \
	"reader: read_only true, database ok"
is "$(http_get /metrics)" "200" "reader: /metrics 200"
mcheck "$T_TMP/body" >/dev/null; ok $? "reader: /metrics well-formed"
grep -q '^bbmirror_build_info{version="[^"]*",read_only="1"} 1$' "$T_TMP/body"
ok $? "reader: bbmirror_build_info says read_only"
is "$(http_get /push -d a=b)" "503" "reader: POST /push is 503"
errshape "$T_TMP/body" 503 unavailable; ok $? "... an error object"
grep -q "read-only" "$T_TMP/body"; ok $? "... saying the reader is --read-only"
PORT=$MPORT
"$PYTHON3" "$GEN" --builds 3 --master beside --out "$T_TMP/beside.bin" >/dev/null
"$R" -s "$S" -q "$T_TMP/beside.bin" 2>/dev/null
is "$?" "0" "the writer ingests while a reader runs"
daemon_stop "$RO"
is "$?" "0" "reader: SIGTERM, exit 0"

# A reader whose database does not exist (yet): 503, not a crash.
RPORT=$(free_port)
daemon_start ro2 --read-only --http "127.0.0.1:$RPORT" -d "$T_TMP/none.sqlite" -l "$LS"
ok $? "a reader on a missing database starts"
RO2=$DPID
PORT=$RPORT
is "$(http_get /healthz)" "503" "... its /healthz is 503"
errshape "$T_TMP/body" 503 unavailable; ok $? "... with an error object"
grep -q "none.sqlite" "$T_TMP/body"; ok $? "... naming the database"
is "$(http_get /metrics)" "200" "... its /metrics still answer"
daemon_stop "$RO2"
is "$?" "0" "... and it stops with exit 0"
PORT=$MPORT

# --- shutdown ------------------------------------------------------------------
daemon_stop "$MAIN"
is "$?" "0" "writer: SIGTERM, exit 0"
curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"
is "$?" "7" "after shutdown the HTTP port is closed"
no_reports "no sanitizer or valgrind reports" \
	"WARNING: ThreadSanitizer\|definitely lost: [1-9]\|ERROR SUMMARY: [1-9]"
done_testing
