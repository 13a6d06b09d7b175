#!/bin/sh
# The log server of bbmirrord (GET /logs/ID, doc/logs.md) with curl against
# the real daemon: after a replayed recording every log's text, for every
# channel selection, equals what bbmirror-log gives; format=chunks parses
# and carries the same bytes; byte ranges (first and last byte, suffix,
# open, beyond the end, malformed, several); HEAD; pruned and missing
# logs; hostile ids and SQL metacharacters in every parameter; following
# long logs while a paced replay writes them (from the start, resumed
# from an offset, as chunks), with the delay from sending a chunk to the
# follower receiving it printed; a follower that disconnects, followers
# at shutdown; memory: a 200 MB log served with the daemon's peak RSS
# measured before and after (BBM_BIGLOG_MB changes the size, 0 skips it).
#
# BBMIRRORD_WRAPPER runs the daemons under a tool, for example
# "valgrind --leak-check=full --error-exitcode=3".
. "${top_srcdir:-.}/tests/integration/lib.sh"

http_init
GEN="$top_srcdir/bench/gen-events.py"
GENM="$top_srcdir/bench/gen-master.py"
FRAMES="$top_srcdir/tests/data/frames"
[ -x "$D" ] || skip_all "bbmirrord is not built"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is needed for recordings"

# vmhwm PID: the peak resident set of a process, in kB.
vmhwm() {
	sed -n 's/^VmHWM:[ \t]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# logs.py: "chunks FILE OUT": checks a format=chunks body (every line an
# object with channel, offset and text; offsets contiguous; bytes_b64 only
# for text that is not UTF-8, equal to text with U+FFFD for the invalid
# bytes) and writes the bytes it carries to OUT. "error FILE STATUS CODE":
# the body is an error object. "biglog FILE MB": writes a chunk stream of
# MB MiB to FILE, printing its stdout+stderr length. "compare IDS GOT
# WANT": every answer against bbmirror-log's (see below).
cat >"$T_TMP/logs.py" <<'PYEOF'
import base64, json, sys

def chunks(path, out):
    data = bytearray()
    n = 0
    for line in open(path, "rb").read().split(b"\n"):
        if not line:
            continue
        n += 1
        o = json.loads(line.decode("utf-8"))
        assert o["offset"] == len(data), (n, o["offset"], len(data))
        assert o["channel"] in (0, 1, 2), o
        if "bytes_b64" in o:
            b = base64.b64decode(o["bytes_b64"])
            assert b.decode("utf-8", "replace") == o["text"], n
            try:
                b.decode("utf-8")
                raise AssertionError("bytes_b64 for valid UTF-8, line %d" % n)
            except UnicodeDecodeError:
                pass
        else:
            b = o["text"].encode("utf-8")
        assert b or o.get("more"), ("empty piece", n)
        data += b
    open(out, "wb").write(bytes(data))
    print(n)

def error(path, status, code):
    d = json.load(open(path))
    e = d["error"]
    assert list(d) == ["error"], d
    assert e["status"] == int(status) and e["code"] == code, e
    assert isinstance(e["message"], str) and e["message"], e
    print(json.dumps(e, sort_keys=True))

def biglog(path, mb):
    line = b"".join(b"line %06d of a long test log: abcdefghijklmnopqrst"
                    b"uvwxyz\n" % i for i in range(200))[:10000]
    total = 0
    k = 0
    with open(path, "wb") as f:
        f.write(b"25:2header: the big command\n,")
        while total < int(mb) << 20:
            f.write(b"10001:%d" % (1 if k % 5 == 4 else 0) + line + b",")
            total += len(line)
            k += 1
    print(total)

def compare(ids, got, want):
    """Every log's answers in got/ID.SEL against want/ID.SEL (chunks:
    against want/ID.text); prints "SEL MISMATCHES BYTES" per selection."""
    import io, contextlib
    for sel in ("text", "stdout", "stderr", "header", "all", "chunks"):
        bad = total = 0
        for i in open(ids).read().split():
            w = open("%s/%s.%s" % (want, i, "text" if sel == "chunks"
                                   else sel), "rb").read()
            try:
                if sel == "chunks":
                    with contextlib.redirect_stdout(io.StringIO()):
                        chunks("%s/%s.chunks" % (got, i),
                               "%s/%s.cbytes" % (got, i))
                    g = open("%s/%s.cbytes" % (got, i), "rb").read()
                else:
                    g = open("%s/%s.%s" % (got, i, sel), "rb").read()
            except Exception as e:
                g = None
                if not bad:
                    print("# log %s (%s): %r" % (i, sel, e))
            if g != w:
                if not bad and g is not None:
                    print("# log %s (%s): %d bytes, want %d" %
                          (i, sel, len(g), len(w)))
                bad += 1
            total += len(w)
        print("%s %d %d bytes" % (sel, bad, total))

globals()[sys.argv[1]](*sys.argv[2:])
PYEOF
lpy() { "$PYTHON3" "$T_TMP/logs.py" "$@"; }

# follow.py: a paced replay into the daemon while HTTP followers tail the
# recording's busiest log (see its docstring).
cat >"$T_TMP/follow.py" <<'PYEOF'
"""follow.py FRAMES_DIR RECORDING SOCKET DB HOST:PORT OUTDIR RATE EXTRA

Sends RECORDING to bbmirrord (RATE events per second once the followed
log has started) while three HTTP followers tail one log: the log with
the most logChunk events, to which EXTRA more logChunk events (random
text on every channel, some long) are added before its logFinished, so
that it runs long and outgrows live_logs into a log-store file. Follower
a: ?follow=1 from the start; b: started halfway with ?offset= what a had
then; c: ?follow=1&format=chunks. Writes OUTDIR/id, OUTDIR/{a,b,c} (the
bodies), OUTDIR/{a,b,c}.status, OUTDIR/b.offset; prints the delay from
sending each stdout/stderr chunk of the log to follower a receiving its
last byte, as TAP diagnostics.
"""
import http.client
import os
import random
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import msgpack_mini as mp  # noqa: E402

rec, sock_path, db, hostport, out, rate, extra = sys.argv[2:9]
rate = float(rate)
extra = int(extra)
host, port = hostport.rsplit(":", 1)

frames = [(p, mp.unpack(p)) for _, p in mp.frames(open(rec, "rb").read())]


def ident(m):
    return (m.get("builder"), m.get("number"), m.get("step"), m.get("log"))


def text_of(m):
    t = m.get("text", b"")
    return t if isinstance(t, bytes) else t.encode("utf-8")


count = {}
for _, m in frames:
    if m.get("event") == "logChunk":
        count[ident(m)] = count.get(ident(m), 0) + 1
target = max(count, key=count.get)
fin = [i for i, (_, m) in enumerate(frames)
       if m.get("event") == "logFinished" and ident(m) == target][0]
proto = [m for _, m in frames
         if m.get("event") == "logChunk" and ident(m) == target][0]
rnd = random.Random(4)
alpha = b"abcdefghijklmnopqrstuvwxyz 0123456789\n\xc3\xa9"
added = []
for k in range(extra):
    m = dict(proto)
    n = rnd.choice((0, 1, 5, 40, 80, 200, 1000, 3000)) if k % 97 else 25000
    m["channel"] = rnd.choice((0, 0, 0, 1, 1, 2))
    m["text"] = bytes(rnd.choice(alpha) for _ in range(n)) + \
        ("%d\n" % k).encode()
    added.append((None, m))
frames[fin:fin] = added
seq = None
for i, (p, m) in enumerate(frames):
    if m.get("type") != "event":
        continue
    if seq is None:
        seq = m["seq"]
    m["seq"] = seq
    seq += 1
    frames[i] = (mp.pack(m), m)

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
state = {"acked": 0, "welcome": False}
cv = threading.Condition()


def reader():
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except OSError:
            return
        if not d:
            return
        buf += d
        while len(buf) >= 4:
            n = int.from_bytes(buf[:4], "big")
            if len(buf) < 4 + n:
                break
            m = mp.unpack(buf[4:4 + n])
            buf = buf[4 + n:]
            with cv:
                if m.get("type") == "ack":
                    state["acked"] = max(state["acked"], m["seq"])
                elif m.get("type") == "welcome":
                    state["welcome"] = True
                cv.notify_all()


def wait_ack(seq):
    with cv:
        return cv.wait_for(lambda: state["acked"] >= seq, timeout=120)


threading.Thread(target=reader, daemon=True).start()
s.sendall(mp.frame(frames[0][0]))
with cv:
    cv.wait_for(lambda: state["welcome"], timeout=30)
events = [(p, m) for p, m in frames[1:] if m.get("type") == "event"]
pos = 0
while not (events[pos][1].get("event") == "logStarted" and
           ident(events[pos][1]) == target):
    s.sendall(mp.frame(events[pos][0]))
    pos += 1
s.sendall(mp.frame(events[pos][0]))
pos += 1
if not wait_ack(events[pos - 1][1]["seq"]):
    print("# the followed log's logStarted was not acknowledged")
    sys.exit(1)
con = sqlite3.connect(db)
row = con.execute(
    "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id "
    "JOIN builds b ON b.id = s.build_id JOIN builders r ON "
    "r.id = b.builder_id WHERE r.name = ? AND b.number = ? AND "
    "s.number = ? AND l.number = ? ORDER BY b.id DESC LIMIT 1",
    target).fetchone()
con.close()
logid = row[0]
open(os.path.join(out, "id"), "w").write("%d\n" % logid)


class Follower(threading.Thread):
    def __init__(self, name, query):
        threading.Thread.__init__(self, daemon=True)
        self.name, self.query = name, query
        self.data = bytearray()
        self.times = []
        self.status = None
        self.error = None

    def run(self):
        try:
            c = http.client.HTTPConnection(host, int(port), timeout=120)
            c.request("GET", "/logs/%d?%s" % (logid, self.query))
            r = c.getresponse()
            self.status = r.status
            while True:
                d = r.read1(65536)
                if not d:
                    break
                self.data += d
                self.times.append((len(self.data), time.monotonic()))
            c.close()
        except Exception as e:
            self.error = repr(e)


fa = Follower("a", "follow=1")
fc = Follower("c", "follow=1&format=chunks")
fa.start()
fc.start()
time.sleep(0.2)
sent = []
total = 0
fb = None
rest = len(events) - pos
for k in range(rest):
    p, m = events[pos + k]
    if fb is None and k >= rest // 2:
        off = len(fa.data)
        open(os.path.join(out, "b.offset"), "w").write("%d\n" % off)
        fb = Follower("b", "follow=1&offset=%d" % off)
        fb.start()
    t = time.monotonic()
    s.sendall(mp.frame(p))
    if (m.get("event") == "logChunk" and ident(m) == target and
            m.get("channel") in (0, 1) and text_of(m)):
        total += len(text_of(m))
        sent.append((total, t))
    if rate > 0:
        time.sleep(1.0 / rate)
wait_ack(events[-1][1]["seq"])
for f in (fa, fb, fc):
    f.join(60)
s.close()
for f in (fa, fb, fc):
    if f.error:
        print("# follower %s: %s" % (f.name, f.error))
    open(os.path.join(out, f.name), "wb").write(bytes(f.data))
    open(os.path.join(out, f.name + ".status"), "w").write(
        "%s\n" % ("running" if f.is_alive() else f.status))
lat = []
j = 0
for end, t in sent:
    while j < len(fa.times) and fa.times[j][0] < end:
        j += 1
    if j < len(fa.times):
        lat.append((fa.times[j][1] - t) * 1000.0)
lat.sort()
if lat:
    def q(x):
        return lat[min(len(lat) - 1, int(x * len(lat)))]
    print("# follow latency, chunk sent -> follower received: %d chunks, "
          "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%s)" %
          (len(lat), q(0.5), q(0.9), q(0.99), lat[-1],
           "%.0f events/s" % rate if rate > 0 else "unpaced"))
PYEOF

S="$T_TMP/d.sock"
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/ls"
M=logmaster

daemon_start main -s "$S" -d "$DB" -l "$LS" --http 127.0.0.1:0 \
	--http-threads 3
ok $? "bbmirrord with --http started"
MAIN=$DPID
PORT=$(http_port main)

# --- every log, every channel selection --------------------------------------
"$PYTHON3" "$GEN" --builds 30 --big-every 5 --master "$M" \
	--out "$T_TMP/rec" >"$T_TMP/gen.out" 2>&1
ok $? "recording generated: $(head -n 1 "$T_TMP/gen.out")"
"$R" -s "$S" -q "$T_TMP/rec"
ok $? "recording replayed"
q "$DB" "SELECT id FROM logs ORDER BY id" >"$T_TMP/ids"
nlogs=$(wc -l <"$T_TMP/ids" | tr -d ' ')
[ "$nlogs" -gt 100 ]; ok $? "$nlogs logs to compare"

mkdir "$T_TMP/h" "$T_TMP/w"
: >"$T_TMP/curl.cfg"
while read -r id; do
	for c in text stdout stderr header all; do
		q=; [ $c = text ] || q="?channel=$c"
		printf 'url = "http://127.0.0.1:%s/logs/%s%s"\noutput = "%s"\n' \
			"$PORT" "$id" "$q" "$T_TMP/h/$id.$c" >>"$T_TMP/curl.cfg"
	done
	printf 'url = "http://127.0.0.1:%s/logs/%s?format=chunks"\noutput = "%s"\n' \
		"$PORT" "$id" "$T_TMP/h/$id.chunks" >>"$T_TMP/curl.cfg"
	"$LOGCAT" -d "$DB" -l "$LS" "$id" >"$T_TMP/w/$id.text"
	"$LOGCAT" -d "$DB" -l "$LS" -c stdout "$id" >"$T_TMP/w/$id.stdout"
	"$LOGCAT" -d "$DB" -l "$LS" -c stderr "$id" >"$T_TMP/w/$id.stderr"
	"$LOGCAT" -d "$DB" -l "$LS" -c header "$id" >"$T_TMP/w/$id.header"
	"$LOGCAT" -d "$DB" -l "$LS" -a "$id" >"$T_TMP/w/$id.all"
done <"$T_TMP/ids"
curl -s -K "$T_TMP/curl.cfg"
ok $? "GET /logs/ID for every log, 5 channel selections and chunks each"
lpy compare "$T_TMP/ids" "$T_TMP/h" "$T_TMP/w" >"$T_TMP/compare.out"
ok $? "every answer checked"
for c in text stdout stderr header all chunks; do
	l=$(grep "^$c " "$T_TMP/compare.out")
	is "$(echo "$l" | cut -d' ' -f2)" 0 \
		"$c: every log as bbmirror-log gives it ($(echo "$l" | cut -d' ' -f3-))"
done
grep '^#' "$T_TMP/compare.out" | head -n 5
n=$(grep -l bytes_b64 "$T_TMP"/h/*.chunks 2>/dev/null | wc -l | tr -d ' ')
echo "# $n logs have a chunk that is not UTF-8 (bytes_b64)"

# --- headers, ranges, HEAD ---------------------------------------------------
BIG=$(q "$DB" "SELECT id FROM logs WHERE kind = 'text' ORDER BY text_bytes DESC LIMIT 1")
cp "$T_TMP/w/$BIG.text" "$T_TMP/big"
LEN=$(wc -c <"$T_TMP/big" | tr -d ' ')
is "$(http_get "/logs/$BIG")" 200 "GET the longest log ($LEN bytes): 200"
is "$(http_header Content-Type)" "text/plain; charset=utf-8" "... text/plain; charset=utf-8"
is "$(http_header Accept-Ranges)" "bytes" "... Accept-Ranges: bytes"
is "$(http_header X-Content-Type-Options)" "nosniff" "... nosniff"
HTML=$(q "$DB" "SELECT id FROM logs WHERE kind = 'html' AND text_bytes > 0 LIMIT 1")
if [ -n "$HTML" ]; then
	http_get "/logs/$HTML" >/dev/null
	is "$(http_header Content-Type):$(http_header Content-Security-Policy)" \
		"text/html; charset=utf-8:sandbox" "an HTML log: text/html, sandboxed"
else
	ok 0 "# SKIP no HTML log in the recording"
fi

# range SPEC STATUS FIRST LAST: the Range request's status, and for 206
# the body and Content-Range against bytes FIRST..LAST of the log.
range() {
	st=$(http_get "/logs/$BIG" -H "Range: $1")
	if [ "$2" = 206 ]; then
		tail -c +$(($3 + 1)) "$T_TMP/big" | head -c $(($4 - $3 + 1)) \
			>"$T_TMP/want"
		cmp -s "$T_TMP/body" "$T_TMP/want" &&
		    [ "$(http_header Content-Range)" = "bytes $3-$4/$LEN" ] &&
		    [ "$(http_header Content-Length)" = "$(($4 - $3 + 1))" ]
		ok $? "Range: $1: $st, bytes $3-$4/$LEN"
		[ "$st" = 206 ] || echo "#   status $st"
	elif [ "$2" = 416 ]; then
		[ "$st" = 416 ] &&
		    [ "$(http_header Content-Range)" = "bytes */$LEN" ] &&
		    lpy error "$T_TMP/body" 416 range_not_satisfiable >/dev/null
		ok $? "Range: $1: $st, Content-Range: bytes */$LEN"
	else
		[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/big" &&
		    [ -z "$(http_header Content-Range)" ]
		ok $? "Range: $1: $st, the whole log"
	fi
}
range "bytes=0-0" 206 0 0
range "bytes=0-" 206 0 $((LEN - 1))
range "bytes=$((LEN - 1))-" 206 $((LEN - 1)) $((LEN - 1))
range "bytes=-1" 206 $((LEN - 1)) $((LEN - 1))
range "bytes=-100" 206 $((LEN - 100)) $((LEN - 1))
range "bytes=-$((LEN * 3))" 206 0 $((LEN - 1))
range "bytes=100-" 206 100 $((LEN - 1))
range "bytes=10-4000" 206 10 4000
range "bytes=5-$((LEN * 2))" 206 5 $((LEN - 1))
range "bytes=1000-1000, " 206 1000 1000
range "bytes=$LEN-" 416
range "bytes=$((LEN + 10))-$((LEN + 20))" 416
range "bytes=-0" 416
range "bytes=99999999999999999999999-" 416
range "bytes=5-3" 200
range "bytes=abc" 200
range "bytes=" 200
range "bytes=--5" 200
range "items=0-5" 200
range "bytes=0-1,5-6" 200
range "bytes=0-1, -5" 200
st=$(http_get "/logs/$BIG" -H "Range: bytes=0-9" -H 'If-Range: "x"')
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/big"
ok $? "Range with If-Range (no validator matches): 200, the whole log"
ERR=$(ls -S "$T_TMP"/w/*.stderr | head -n 1)
st=$(http_get "/logs/$(basename "$ERR" .stderr)?channel=stderr" -H "Range: bytes=-7")
tail -c 7 "$ERR" >"$T_TMP/want"
[ "$st" = 206 ] && cmp -s "$T_TMP/body" "$T_TMP/want"
ok $? "Range on a channel selection: the selection's last 7 bytes"
# An empty text: a log's header channel when it has no header.
EMPTY=$(find "$T_TMP/w" -name '*.header' -empty | head -n 1)
EMPTY=$(basename "$EMPTY" .header)
is "$(http_get "/logs/$EMPTY?channel=header" -H "Range: bytes=0-")" 416 \
	"an empty text (log $EMPTY, no header): Range bytes=0-: 416"
is "$(http_header Content-Range)" "bytes */0" "... Content-Range: bytes */0"
is "$(http_get "/logs/$EMPTY?channel=header" -H "Range: bytes=-5")" 416 \
	"... Range bytes=-5: 416"
is "$(http_get "/logs/$EMPTY?channel=header"):$(wc -c <"$T_TMP/body" | tr -d ' ')" \
	"200:0" "... without a Range: 200, empty body"
st=$(curl -s -I -o "$T_TMP/hdr" -w '%{http_code}' \
	"http://127.0.0.1:$PORT/logs/$BIG")
[ "$st" = 200 ] && [ "$(http_header Content-Type)" = "text/plain; charset=utf-8" ]
ok $? "HEAD /logs/ID: 200, the headers"
st=$(http_get "/logs/$BIG?offset=$((LEN - 50))")
tail -c 50 "$T_TMP/big" >"$T_TMP/want"
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/want"
ok $? "?offset=N: the text from byte N"
is "$(http_get "/logs/$BIG?offset=$((LEN + 5))"):$(wc -c <"$T_TMP/body" | tr -d ' ')" \
	"200:0" "?offset beyond the end: empty"
st=$(http_get "/logs/$BIG?offset=$((LEN - 50))&follow=1")
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/want"
ok $? "?follow=1 on a finished log: the rest, then the end"

# --- missing, pruned, unknown, hostile ------------------------------------------
P1=$(sed -n 2p "$T_TMP/ids")
P2=$(sed -n 3p "$T_TMP/ids")
"$PYTHON3" - "$DB" "$P1" "$P2" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE logs SET state = 'pruned', store_key = NULL, "
          "pruned_at = 1700000123.5 WHERE id = ?", (sys.argv[2],))
c.execute("UPDATE logs SET state = 'missing', store_key = NULL "
          "WHERE id = ?", (sys.argv[3],))
c.commit()
PYEOF
is "$(http_get "/logs/$P1")" 410 "a pruned log: 410 Gone"
e=$(lpy error "$T_TMP/body" 410 pruned)
ok $? "... error object, code pruned: $e"
echo "$e" | grep -q '"pruned_at": 1700000123.5'
ok $? "... with pruned_at"
is "$(http_get "/logs/$P2")" 404 "a missing log: 404"
lpy error "$T_TMP/body" 404 missing >/dev/null
ok $? "... error object, code missing"
is "$(http_get "/logs/$(( $(tail -n 1 "$T_TMP/ids") + 1000 ))")" 404 "an unknown id: 404"
lpy error "$T_TMP/body" 404 not_found >/dev/null
ok $? "... error object, code not_found"

# hostile PATH-AND-QUERY: a 400 with an error object.
hostile() {
	st=$(curl -s -o "$T_TMP/body" -w '%{http_code}' --path-as-is -g \
		"http://127.0.0.1:$PORT$1")
	[ "$st" = 400 ] && lpy error "$T_TMP/body" 400 bad_request >/dev/null
	ok $? "$1: 400 ($st)"
}
hostile "/logs/../etc/passwd"
hostile "/logs/..%2f..%2fetc%2fpasswd"
hostile "/logs/%2e%2e"
hostile "/logs/1;DROP%20TABLE%20logs"
hostile "/logs/1%27%20OR%20%271%27=%271"
hostile "/logs/%00"
hostile "/logs/1%00"
hostile "/logs/1%00x"
hostile "/logs/"
hostile "/logs/0"
hostile "/logs/-1"
hostile "/logs/007"
hostile "/logs/1e3"
hostile "/logs/0x10"
hostile "/logs/%201"
hostile "/logs/$BIG/"
hostile "/logs/$BIG/x"
hostile "/logs/9223372036854775808"
hostile "/logs/99999999999999999999999999999"
hostile "/logs/$BIG?channel=stdout%27;DROP%20TABLE%20logs;--"
hostile "/logs/$BIG?channel=stdout,"
hostile "/logs/$BIG?channel="
hostile "/logs/$BIG?channel=../../x"
hostile "/logs/$BIG?format=chunks%27%20OR%201=1"
hostile "/logs/$BIG?format="
hostile "/logs/$BIG?follow=1;DROP"
hostile "/logs/$BIG?follow=2"
hostile "/logs/$BIG?offset=1%20OR%201=1"
hostile "/logs/$BIG?offset=-1"
hostile "/logs/$BIG?offset=99999999999999999999"
hostile "/logs/$BIG?offset=%00"
hostile "/logs/$BIG?chanel=stderr"
hostile "/logs/$BIG?channel=stderr&channel=stdout"
hostile "/logs/$BIG?channel=$("$PYTHON3" -c 'print("stdout," * 200)')stdout"
hostile "/logs/$BIG?id=1%20OR%201=1"
st=$(http_get "/logs/$BIG" -H "Range: bytes=0-1'; DROP TABLE logs;--")
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/big"
ok $? "a Range with SQL in it: ignored, 200 whole"
is "$(http_get "/logs/$BIG" -X POST)" 405 "POST /logs/ID: 405"
kill -0 "$MAIN"; ok $? "the daemon is still running"
st=$(http_get "/logs/$BIG")
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/big"
ok $? "... and serves the log as before"
is "$(q "$DB" "SELECT count(*) FROM logs")" "$nlogs" "no log row lost"

# --- follow while a replay writes ---------------------------------------------
"$PYTHON3" "$GEN" --builds 6 --big-every 2 --master followm \
	--out "$T_TMP/rec2" >/dev/null 2>&1
ok $? "a second recording generated"
mkdir "$T_TMP/f"
"$PYTHON3" "$T_TMP/follow.py" "$FRAMES" "$T_TMP/rec2" "$S" "$DB" \
	"127.0.0.1:$PORT" "$T_TMP/f" 800 2500 >"$T_TMP/follow.out" 2>&1
ok $? "paced replay with three followers"
grep '^#' "$T_TMP/follow.out"
grep -v '^#' "$T_TMP/follow.out" | head -n 5 | sed 's/^/#   /'
FID=$(cat "$T_TMP/f/id" 2>/dev/null)
"$LOGCAT" -d "$DB" -l "$LS" "$FID" >"$T_TMP/f/want"
flen=$(wc -c <"$T_TMP/f/want" | tr -d ' ')
is "$(q "$DB" "SELECT state || ' ' || complete || ' ' ||
    (store_key LIKE 'p/%') FROM logs WHERE id = $FID")" "stored 1 0" \
	"the followed log finished in a file of its own ($flen bytes)"
is "$(cat "$T_TMP/f/a.status")" 200 "follower from the start: 200, ended with the log"
cmp -s "$T_TMP/f/a" "$T_TMP/f/want"
ok $? "follower from the start: exactly the final text"
off=$(cat "$T_TMP/f/b.offset")
tail -c +$((off + 1)) "$T_TMP/f/want" >"$T_TMP/f/bwant"
is "$(cat "$T_TMP/f/b.status")" 200 "follower resumed at offset $off: ended with the log"
cmp -s "$T_TMP/f/b" "$T_TMP/f/bwant"
ok $? "follower resumed at offset $off: exactly the rest"
lpy chunks "$T_TMP/f/c" "$T_TMP/f/cbytes" >/dev/null &&
    cmp -s "$T_TMP/f/cbytes" "$T_TMP/f/want"
ok $? "follower of the chunks: they parse and carry the final text"
st=$(http_get "/logs/$FID?offset=$off")
[ "$st" = 200 ] && cmp -s "$T_TMP/body" "$T_TMP/f/bwant"
ok $? "resumed later from offset $off: the rest"

# --- a running log: disconnecting followers, shutdown -----------------------------
"$PYTHON3" - "$FRAMES" "$T_TMP/rec2" "$T_TMP/cut" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import msgpack_mini as mp
out, n = [], 0
for _, p in mp.frames(open(sys.argv[2], "rb").read()):
    m = mp.unpack(p)
    out.append(mp.frame(p))
    if m.get("event") == "logChunk":
        n += 1
        if n == 6:
            break
open(sys.argv[3], "wb").write(b"".join(out))
PYEOF
"$R" -s "$S" -m cutm -q "$T_TMP/cut"
ok $? "a recording cut inside a log replayed (master cutm)"
RUN=$(q "$DB" "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id
    JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id
    JOIN masters m ON m.id = r.master_id WHERE m.name = 'cutm' AND
    l.complete = 0 AND l.text_bytes > 0 ORDER BY l.id LIMIT 1")
[ -n "$RUN" ]; ok $? "a running log ($RUN)"
curl -s -N "http://127.0.0.1:$PORT/logs/$RUN?follow=1&channel=all" \
	>"$T_TMP/gone.out" 2>/dev/null &
GONE=$!
curl -s -N "http://127.0.0.1:$PORT/logs/$RUN?follow=1&channel=all" \
	>"$T_TMP/stay.out" 2>/dev/null &
STAY=$!
PIDS="$PIDS $GONE $STAY"
"$LOGCAT" -d "$DB" -l "$LS" -a "$RUN" >"$T_TMP/run.want"
# wait_size FILE BYTES: until FILE holds BYTES bytes (at most 20 s).
wait_size() {
	i=0
	while [ "$(wc -c <"$1" | tr -d ' ')" -lt "$2" ] && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
wait_size "$T_TMP/stay.out" "$(wc -c <"$T_TMP/run.want" | tr -d ' ')"
wait_size "$T_TMP/gone.out" "$(wc -c <"$T_TMP/run.want" | tr -d ' ')"
cmp -s "$T_TMP/stay.out" "$T_TMP/run.want"
ok $? "following a running log: its text so far, then waiting"
kill -0 "$STAY"; ok $? "... the follower is still connected"
kill "$GONE"
wait "$GONE" 2>/dev/null
# A commit wakes the followers: the disconnected one is collected.
"$R" -s "$S" -m cutm -q "$T_TMP/rec2"
ok $? "more events for master cutm (the rest of the recording)"
sleep 0.3
kill -0 "$MAIN"; ok $? "the daemon survived a follower that disconnected"
i=0
while kill -0 "$STAY" 2>/dev/null && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
"$LOGCAT" -d "$DB" -l "$LS" -a "$RUN" >"$T_TMP/run.want"
! kill -0 "$STAY" 2>/dev/null && cmp -s "$T_TMP/stay.out" "$T_TMP/run.want"
ok $? "the other follower got the whole log and ended when it finished"

# A follower of a log that never finishes, then SIGTERM.
"$R" -s "$S" -m cutm2 -q "$T_TMP/cut"
RUN2=$(q "$DB" "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id
    JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id
    JOIN masters m ON m.id = r.master_id WHERE m.name = 'cutm2' AND
    l.complete = 0 AND l.text_bytes > 0 ORDER BY l.id LIMIT 1")
curl -s -N "http://127.0.0.1:$PORT/logs/$RUN2?follow=1&channel=all" \
	>"$T_TMP/last.out" 2>/dev/null &
LAST=$!
PIDS="$PIDS $LAST"
wait_size "$T_TMP/last.out" 1
[ -s "$T_TMP/last.out" ] && kill -0 "$LAST"
r=$?
ok $r "a follower of a log that never finishes is waiting"
if [ $r -ne 0 ]; then
	# Seen once under ASan in CI, not reproduced: say what happened.
	echo "# log '$RUN2'; follower output $(wc -c <"$T_TMP/last.out") bytes:"
	head -c 300 "$T_TMP/last.out" | sed 's/^/#   /'
	echo
	q "$DB" "SELECT id, state, complete, text_bytes FROM logs
	    WHERE id = '$RUN2'" | sed 's/^/#   row: /'
fi
daemon_stop "$MAIN"
is "$?" 0 "SIGTERM with a follower waiting: bbmirrord exits 0"
i=0
while kill -0 "$LAST" 2>/dev/null && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
! kill -0 "$LAST" 2>/dev/null
ok $? "... and the follower's stream ended"

# --- memory: a big log ----------------------------------------------------------
MB=${BBM_BIGLOG_MB:-200}
if [ "$MB" -gt 0 ] && [ -f "$GENM" ] && [ -r /proc/self/status ] &&
    "$PYTHON3" "$GENM" --builders 1 --builds 1 --compress none \
    --irregular none --jobs 1 "$T_TMP/bigm" >/dev/null 2>&1; then
	f=$(find "$T_TMP/bigm" -name '*-log-*' -type f | sort | head -n 1)
	blen=$(lpy biglog "$f" "$MB")
	"$IMPORT" --db "$T_TMP/big.sqlite" --logstore "$T_TMP/bigls" -m bigm \
		--quiet "$T_TMP/bigm" 2>"$T_TMP/bigimport.err"
	ok $? "a master with a $MB MiB log imported"
	BID=$(q "$T_TMP/big.sqlite" "SELECT id FROM logs ORDER BY text_bytes DESC LIMIT 1")
	daemon_start big --read-only -d "$T_TMP/big.sqlite" -l "$T_TMP/bigls" \
		--http 127.0.0.1:0 --http-threads 1
	ok $? "a --read-only bbmirrord on it"
	BPID=$DPID
	BPORT=$(http_port big)
	SMALL=$(q "$T_TMP/big.sqlite" "SELECT id FROM logs ORDER BY text_bytes LIMIT 1")
	curl -s "http://127.0.0.1:$BPORT/logs/$SMALL" >/dev/null
	h0=$(vmhwm "$BPID")
	n=$(curl -s "http://127.0.0.1:$BPORT/logs/$BID" | wc -c | tr -d ' ')
	h1=$(vmhwm "$BPID")
	is "$n" "$blen" "the $MB MiB log served whole"
	r=$(curl -s -H "Range: bytes=-10" "http://127.0.0.1:$BPORT/logs/$BID" | wc -c)
	h2=$(vmhwm "$BPID")
	n=$(curl -s "http://127.0.0.1:$BPORT/logs/$BID?format=chunks" |
	    wc -l | tr -d ' ')
	h3=$(vmhwm "$BPID")
	is "$r:$n" "10:$((blen / 10000))" "its last 10 bytes, and as $((blen / 10000)) JSON lines"
	echo "# peak RSS (VmHWM) of bbmirrord: $h0 kB before, $h1 kB after the" \
	    "whole log (+$((h1 - h0)) kB), $h2 kB after a suffix range," \
	    "$h3 kB after format=chunks (+$((h3 - h0)) kB in all)"
	if grep -q __asan_init "$D" || [ -n "${BBMIRRORD_WRAPPER:-}" ]; then
		ok 0 "# SKIP peak RSS not comparable under a sanitizer or wrapper"
	else
		[ $((h3 - h0)) -lt 65536 ]
		ok $? "serving the $MB MiB log grew the peak RSS by less than 64 MiB"
	fi
	daemon_stop "$BPID"
	is "$?" 0 "the --read-only daemon exits 0"
else
	echo "# big log test skipped (BBM_BIGLOG_MB=$MB or no gen-master.py)"
fi

no_reports "no sanitizer or valgrind reports" \
	"definitely lost\|Invalid read\|Invalid write"
done_testing
