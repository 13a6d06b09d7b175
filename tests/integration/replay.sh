#!/bin/sh
# bbmirrord and bbmirror-replay: recordings replayed into a real daemon on a
# private socket give the rows (and log text) they describe; replaying again
# writes nothing twice; TCP needs the token; bad frames get an error frame
# and a close; settings come from the command line and the config file;
# SIGTERM commits and acknowledges what was sent; SIGHUP reopens the log.
#
# BBMIRRORD_SOCKET (with BBMIRRORD_DB and BBMIRRORD_LOGSTORE) points the
# replay tests at an already running daemon; the tests that start daemons
# of their own are then skipped. BBMIRRORD_WRAPPER runs the daemons under
# a tool, for example "valgrind --leak-check=full --error-exitcode=3".
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed to write recordings"
daemon_init

# proto.py: a tiny msgpack writer and reader, recordings (mkrec) and raw
# protocol clients (client ...), independent of the C code under test.
cat >"$T_TMP/proto.py" <<'PYEOF'
import os, socket, struct, sys, time

class Inst(object):
    def __init__(self, module, cls, state):
        self.module, self.cls, self.state = module, cls, state

def pack(o, out):
    if o is None:
        out.append(b'\xc0')
    elif o is True or o is False:
        out.append(b'\xc3' if o else b'\xc2')
    elif isinstance(o, int):
        if 0 <= o < 128:
            out.append(bytes([o]))
        elif o >= 0:
            out.append(b'\xcf' + struct.pack('>Q', o))
        else:
            out.append(b'\xd3' + struct.pack('>q', o))
    elif isinstance(o, float):
        out.append(b'\xcb' + struct.pack('>d', o))
    elif isinstance(o, bytes):
        out.append(b'\xc6' + struct.pack('>I', len(o)) + o)
    elif isinstance(o, str):
        b = o.encode('utf-8')
        out.append(b'\xdb' + struct.pack('>I', len(b)) + b)
    elif isinstance(o, (list, tuple)):
        out.append(b'\xdd' + struct.pack('>I', len(o)))
        for x in o:
            pack(x, out)
    elif isinstance(o, dict):
        out.append(b'\xdf' + struct.pack('>I', len(o)))
        for k, v in o.items():
            pack(k, out)
            pack(v, out)
    elif isinstance(o, Inst):
        inner = []
        pack([o.module, o.cls, o.state], inner)
        data = b''.join(inner)
        out.append(b'\xc9' + struct.pack('>I', len(data)) + b'\x01' + data)
    else:
        raise TypeError(repr(o))

def frame(obj):
    out = []
    pack(obj, out)
    payload = b''.join(out)
    return struct.pack('>I', len(payload)) + payload

def unpack(b, i=0):
    t = b[i]
    if t < 0x80: return t, i + 1
    if t >= 0xe0: return t - 256, i + 1
    if 0x80 <= t <= 0x8f:
        return unpack_map(b, i + 1, t & 0x0f)
    if 0x90 <= t <= 0x9f:
        return unpack_arr(b, i + 1, t & 0x0f)
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return b[i + 1:i + 1 + n].decode(), i + 1 + n
    if t == 0xc0: return None, i + 1
    if t in (0xc2, 0xc3): return t == 0xc3, i + 1
    if t == 0xcb: return struct.unpack('>d', b[i + 1:i + 9])[0], i + 9
    sizes = {0xcc: 'B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q',
             0xd0: 'b', 0xd1: '>h', 0xd2: '>i', 0xd3: '>q'}
    if t in sizes:
        n = struct.calcsize(sizes[t])
        return struct.unpack(sizes[t], b[i + 1:i + 1 + n])[0], i + 1 + n
    lens = {0xd9: 'B', 0xda: '>H', 0xdb: '>I', 0xc4: 'B', 0xc5: '>H',
            0xc6: '>I'}
    if t in lens:
        h = struct.calcsize(lens[t])
        n = struct.unpack(lens[t], b[i + 1:i + 1 + h])[0]
        s = b[i + 1 + h:i + 1 + h + n]
        return (s.decode() if t >= 0xd9 else s), i + 1 + h + n
    if t in (0xdc, 0xdd):
        h = 2 if t == 0xdc else 4
        n = struct.unpack('>H' if h == 2 else '>I', b[i + 1:i + 1 + h])[0]
        return unpack_arr(b, i + 1 + h, n)
    if t in (0xde, 0xdf):
        h = 2 if t == 0xde else 4
        n = struct.unpack('>H' if h == 2 else '>I', b[i + 1:i + 1 + h])[0]
        return unpack_map(b, i + 1 + h, n)
    raise ValueError('msgpack type 0x%02x' % t)

def unpack_arr(b, i, n):
    out = []
    for _ in range(n):
        v, i = unpack(b, i)
        out.append(v)
    return out, i

def unpack_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = unpack(b, i)
        v, i = unpack(b, i)
        out[k] = v
    return out, i

# --- status objects as the plugin sends them (0.8.x Versioned state) -----
B = 'buildbot.status.builder'
T0 = 1700000000.0

def props(d):
    return Inst('buildbot.process.properties', 'Properties',
                {b'properties': dict((k, [v, b'Build']) for k, v in d.items()),
                 b'runtime': []})

def logfile(n, done):
    return Inst(B, 'LogFile', {b'name': b'stdio',
                b'filename': b'%d-log-compile-stdio' % n,
                b'length': len(out_text(n)) + len(err_text(n)) if done else 0,
                b'entries': [], b'runEntries': [], b'runLength': 0})

def out_text(n):
    return b'compiling build %d\nok\n' % n

def err_text(n):
    return b'warning %d\n' % n

def step(n, t, done):
    st = {b'name': b'compile', b'started': t, b'text': [b'compile'],
          b'text2': [], b'logs': [logfile(n, done)], b'urls': {},
          b'statistics': {}, b'step_number': 0, b'skipped': False,
          b'waitingForLocks': False, b'hidden': False,
          B.encode() + b'.BuildStepStatus.persistenceVersion': 4}
    if done:
        st[b'finished'] = t + 1.0
        st[b'results'] = 0
    return Inst(B, 'BuildStepStatus', st)

def build(builder, n, t, done):
    ss = Inst('buildbot.sourcestamp', 'SourceStamp',
              {b'branch': b'trunk', b'revision': b'r%d' % n, b'patch': None,
               b'changes': [], b'project': b'', b'repository': b'',
               b'buildbot.sourcestamp.SourceStamp.persistenceVersion': 2})
    st = {b'number': n, b'steps': [step(n, t, done)], b'started': t,
          b'text': [b'build', b'successful'] if done else [],
          b'reason': b'replay test', b'blamelist': [b'alice'],
          b'slavename': b'bot1', b'changes': [], b'source': ss,
          b'properties': props({b'buildername': builder.encode(),
                                b'buildnumber': n}),
          b'testResults': {}, b'progress': None, b'currentStep': None,
          B.encode() + b'.BuildStatus.persistenceVersion': 3}
    if done:
        st[b'finished'] = t + 2.0
        st[b'results'] = 0
    return Inst(B, 'BuildStatus', st)

def builder_status(name):
    return Inst(B, 'BuilderStatus', {b'name': name.encode(),
                b'category': None, b'slavenames': [b'bot1'], b'events': [],
                b'lastBuildStatus': None, b'nextBuild': None,
                b'watchers': [], B.encode() + b'.BuilderStatus.persistenceVersion': 1})

def change(n):
    return Inst('buildbot.changes.changes', 'Change', {b'number': n,
                b'who': b'alice', b'comments': b'fix %d' % n,
                b'files': [b'src/a.c'], b'isdir': 0, b'when': T0,
                b'branch': b'trunk', b'revision': b'r%d' % n, b'links': [],
                b'category': None, b'revlink': b'', b'properties': props({}),
                b'project': b'', b'repository': b''})

def hello(master, version=1, token=None):
    h = {'type': 'hello', 'version': version, 'master': master,
         'basedir': '/srv/' + master, 'client': 'replay.sh'}
    if token is not None:
        h['token'] = token
    return h

def mkrec(args):
    # mkrec OUT MASTER BUILDER FIRST_BUILD NBUILDS FIRST_SEQ HEADER(0/1)
    out, master, builder = args[0], args[1], args[2]
    first, nbuilds, seq, header = [int(x) for x in args[3:7]]
    evs = []
    if header:
        evs.append({'event': 'builderAdded', 'builder': builder,
                    'status': builder_status(builder)})
        evs.append({'event': 'builderChangedState', 'builder': builder,
                    'state': 'idle'})
        evs.append({'event': 'slaveConnected', 'slave': 'bot1'})
        evs.append({'event': 'changeAdded', 'change': change(1)})
    for n in range(first, first + nbuilds):
        t = T0 + 10.0 * n
        ids = {'builder': builder, 'number': n, 'started': t}
        sid = dict(ids, step=0)
        lid = dict(sid, log=0)
        evs.append(dict(ids, event='buildStarted', build=build(builder, n, t, False)))
        evs.append(dict(sid, event='stepStarted', status=step(n, t, False)))
        evs.append(dict(lid, event='logStarted', status=logfile(n, False)))
        evs.append(dict(lid, event='logChunk', channel=0, text=out_text(n)))
        evs.append(dict(lid, event='logChunk', channel=1, text=err_text(n)))
        evs.append(dict(lid, event='logFinished', status=logfile(n, True)))
        evs.append(dict(sid, event='stepFinished', results=[0, []],
                        status=step(n, t, True)))
        evs.append(dict(ids, event='buildFinished', results=0,
                        build=build(builder, n, t, True)))
    with open(out, 'wb') as f:
        f.write(frame(hello(master)))
        for ev in evs:
            ev.update({'type': 'event', 'seq': seq, 'time': T0 + seq})
            f.write(frame(ev))
            seq += 1
    print(seq - 1)

# --- raw clients ---------------------------------------------------------
def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(20)
    return s

def frames(s, until_eof=True, count=None):
    """Reads frames (as dicts) until EOF, or count frames."""
    buf, got = b'', []
    while True:
        while len(buf) >= 4:
            n = struct.unpack('>I', buf[:4])[0]
            if len(buf) < 4 + n:
                break
            got.append(unpack(buf[4:4 + n])[0])
            buf = buf[4 + n:]
            if count is not None and len(got) >= count:
                return got
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            d = b''
        if not d:
            return got
        buf += d

def show(prefix, got):
    for m in got:
        t = m.get('type')
        if t == 'welcome':
            print(prefix + 'welcome %d' % m['last_seq'])
        elif t == 'ack':
            print(prefix + 'ack %d' % m['seq'])
        elif t == 'error':
            print(prefix + 'error %d %s' % (m.get('seq', 0), m['message']))
        else:
            print(prefix + repr(m))

def slave_events(first, n):
    return [frame({'type': 'event', 'seq': i, 'time': T0 + i,
                   'event': 'slaveConnected', 'slave': 'bot%d' % i})
            for i in range(first, first + n)]

def client(args):
    cmd, path = args[0], args[1]
    if cmd == 'version':            # hello with protocol version 2
        s = connect(path)
        s.sendall(frame(hello('v2', version=2)))
        show('', frames(s))
    elif cmd == 'early':            # an event before the hello
        s = connect(path)
        s.sendall(slave_events(7, 1)[0])
        show('', frames(s))
    elif cmd == 'zero':             # a frame of length 0 after the hello
        s = connect(path)
        s.sendall(frame(hello('zero')))
        show('', frames(s, count=1))
        s.sendall(b'\0\0\0\0')
        show('', frames(s))
    elif cmd == 'bad':              # three good events, then a bad one
        s = connect(path)
        s.sendall(frame(hello('bad')))
        w = frames(s, count=1)
        show('', w)
        first = w[0]['last_seq'] + 1
        s.sendall(b''.join(slave_events(first, 3)))
        s.sendall(frame({'type': 'event', 'seq': first + 3, 'time': T0,
                         'event': 'stepStarted', 'builder': 'x',
                         'number': 1, 'started': T0, 'step': 'zero',
                         'status': None}))
        show('', frames(s))
    elif cmd == 'replace':          # a second connection of one master
        a = connect(path)
        a.sendall(frame(hello('twice')))
        show('a: ', frames(a, count=1))
        b = connect(path)
        b.sendall(frame(hello('twice')))
        w = frames(b, count=1)
        show('b: ', w)
        show('a: ', frames(a))
        b.sendall(slave_events(w[0]['last_seq'] + 1, 1)[0])
        show('b: ', frames(b, count=1))
    elif cmd == 'big':              # a frame longer than --max-frame
        s = connect(path)
        s.sendall(frame(hello('big')))
        show('', frames(s, count=1))
        s.sendall(struct.pack('>I', int(args[2])) + b'x' * 100)
        show('', frames(s))
    elif cmd == 'drain':            # N events, then wait for SIGTERM's close
        master, n, ready = args[2], int(args[3]), args[4]
        s = connect(path)
        s.sendall(frame(hello(master)))
        w = frames(s, count=1)
        first = w[0]['last_seq'] + 1
        s.sendall(b''.join(slave_events(first, n)))
        open(ready, 'w').close()
        acks = [m['seq'] for m in frames(s) if m.get('type') == 'ack']
        print('sent %d last_ack %d' % (first + n - 1, max(acks or [0])))

if __name__ == '__main__':
    if sys.argv[1] == 'mkrec':
        mkrec(sys.argv[2:])
    else:
        client(sys.argv[2:])
PYEOF
P="$PYTHON3 $T_TMP/proto.py"

# Rows of master M.
mq() {		# mq SQL-WITH-:m
	q "$DB" "$(printf '%s' "$1" | sed "s/:m/'$M'/g")"
}
BUILDS="SELECT count(*) FROM builds b JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m"
STEPS="SELECT count(*) FROM steps s JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m"
LOGS="SELECT count(*) FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m"
LASTSEQ="SELECT last_seq FROM live_masters l JOIN masters m ON m.id = l.master_id WHERE m.name = :m"
# js NAME KEY: a number from the --stats JSON line in $T_TMP/NAME.json.
js() {
	"$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$T_TMP/$1.json" "$2"
}

OWN=1
if [ -n "${BBMIRRORD_SOCKET:-}" ]; then
	OWN=0
	S=$BBMIRRORD_SOCKET
	DB=$BBMIRRORD_DB
	LS=$BBMIRRORD_LOGSTORE
	TAG=$$
else
	S="$T_TMP/d.sock"
	DB="$T_TMP/mirror.sqlite"
	LS="$T_TMP/ls"
	TAG=""
fi

# --- command line -----------------------------------------------------------
"$D" --help >"$T_TMP/help" 2>&1
is "$?" "0" "bbmirrord --help exits 0"
grep -q -- "--commit-ms N" "$T_TMP/help" && grep -q -- "--token-file FILE" "$T_TMP/help" &&
	grep -q "(1-10000)" "$T_TMP/help"
ok $? "bbmirrord --help lists the options with their ranges"
"$R" --help | grep -q -- "--rate N"
ok $? "bbmirror-replay --help lists its options"
"$D" --version | grep -q "^bbmirrord [0-9]"
ok $? "bbmirrord --version"

daemon_bad_opt "--commit-ms: 0 is out of range (1-10000)" --commit-ms 0
daemon_bad_opt "--commit-events: not a number: lots" --commit-events lots
daemon_bad_opt "--max-frame: 100 is out of range (1024-268435456)" --max-frame 100
daemon_bad_opt "--sync: expected one of full|normal, got fast" --sync fast
daemon_bad_opt "--tcp needs --token-file" --tcp 127.0.0.1:1
daemon_bad_opt "unknown option --bogus" --bogus
daemon_bad_opt "--verbose and --quiet" -v -q
daemon_bad_opt "nothing to listen on" -s none
printf 'tok\n' >"$T_TMP/tok"
daemon_bad_opt "--tcp: nohost: expected ADDR:PORT" --tcp nohost --token-file "$T_TMP/tok"
: >"$T_TMP/empty-token"
daemon_bad_opt "the first line (the token) is empty" --tcp 127.0.0.1:1 --token-file "$T_TMP/empty-token"
[ ! -e "$T_TMP/never.sqlite" ] && [ ! -e "$T_TMP/never.sock" ]
ok $? "a refused start creates neither the database nor the socket"
"$R" --rate -1 x >/dev/null 2>"$T_TMP/bad.err"
is "$?" "2" "bbmirror-replay: bad --rate is a usage error"
"$R" >/dev/null 2>&1
is "$?" "2" "bbmirror-replay: no recording is a usage error"

# --- the daemon -------------------------------------------------------------
if [ $OWN -eq 1 ]; then
	daemon_start main -s "$S" -d "$DB" -l "$LS" -v
	ok $? "bbmirrord started on a private socket"
	MAIN=$DPID
	grep -q "bbmirrord [0-9.]*: listening on $S" "$T_TMP/main.err"
	ok $? "startup line names the version and the socket"
	is "$(stat -c %a "$S" 2>/dev/null || echo none)" "660" "socket mode 0660"
	daemon_start second -s "$S" -d "$T_TMP/other.sqlite" -l "$T_TMP/other-ls"
	is "$?" "1" "a second daemon on the same socket is refused"
	grep -q "another process is listening" "$T_TMP/second.err"
	ok $? "... saying another process is listening"
	[ -S "$S" ]; ok $? "... and the first one's socket is still there"
fi

# --- replay -----------------------------------------------------------------
M="alpha$TAG"
n1=$($P mkrec "$T_TMP/r1.bin" "$M" runtests 1 3 1 1)
"$R" -s "$S" --stats "$T_TMP/r1.bin" >"$T_TMP/r1.json" 2>"$T_TMP/r1.err"
is "$?" "0" "replay of 3 builds ($n1 events) exits 0"
is "$(js r1 events)" "$n1" "--stats: every event sent"
is "$(js r1 skipped)" "0" "--stats: nothing skipped"
is "$(js r1 last_seq)" "$n1" "--stats: last ack is the last event"
"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bytes"] > 0 and d["ack_p99_ms"] >= d["ack_p50_ms"] > 0 and d["events_per_s"] > 0' \
	"$T_TMP/r1.json"
ok $? "--stats: bytes, rates and ack latencies present"
is "$(mq "$BUILDS")" "3" "3 builds stored"
is "$(mq "$STEPS")" "3" "3 steps stored"
is "$(mq "$LOGS")" "3" "3 logs stored"
is "$(mq "SELECT group_concat(b.number || ':' || b.complete || ':' || b.results || ':' || b.slave, ' ') FROM builds b JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m ORDER BY b.number")" \
	"1:1:0:bot1 2:1:0:bot1 3:1:0:bot1" "builds complete, successful, with their slave"
is "$(mq "SELECT r.name || ':' || r.state FROM builders r JOIN masters m ON m.id = r.master_id WHERE m.name = :m")" \
	"runtests:idle" "builder stored with its state"
is "$(mq "SELECT count(*) FROM changes c JOIN masters m ON m.id = c.master_id WHERE m.name = :m AND c.author = 'alice'")" \
	"1" "change stored"
is "$(mq "SELECT s.name || ':' || s.connected FROM slaves s JOIN masters m ON m.id = s.master_id WHERE m.name = :m")" \
	"bot1:1" "slave stored, connected"
is "$(mq "$LASTSEQ")" "$n1" "live_masters.last_seq is the last event"
is "$(mq "SELECT basedir FROM masters m WHERE m.name = :m")" "/srv/$M" "master's basedir from the hello"
logid=$(mq "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m AND b.number = 2")
"$top_builddir/bbmirror-log" -d "$DB" -l "$LS" "$logid" >"$T_TMP/log2" 2>"$T_TMP/log2.err"
is "$?" "0" "bbmirror-log reads a live log"
printf 'compiling build 2\nok\nwarning 2\n' >"$T_TMP/log2.want"
cmp -s "$T_TMP/log2" "$T_TMP/log2.want"
ok $? "live log text is what the chunks carried"
is "$(mq "SELECT l.complete || ':' || l.text_bytes FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m AND b.number = 2")" \
	"1:$(wc -c <"$T_TMP/log2.want" | tr -d ' ')" "log complete with its byte count"

# Again: everything is skipped, nothing duplicated.
"$R" -s "$S" --stats "$T_TMP/r1.bin" >"$T_TMP/r1b.json" 2>/dev/null
is "$?" "0" "second replay exits 0"
is "$(js r1b skipped):$(js r1b events)" "$n1:0" "second replay: every event skipped, none sent"
is "$(mq "$BUILDS"):$(mq "$STEPS"):$(mq "$LOGS")" "3:3:3" "second replay: no row duplicated"
"$top_builddir/bbmirror-log" -d "$DB" -l "$LS" "$logid" | cmp -s - "$T_TMP/log2.want"
ok $? "second replay: log text not doubled"

# A continuation in a second file: two files are one stream (second hello
# skipped); only the new events are sent.
n2=$($P mkrec "$T_TMP/r2.bin" "$M" runtests 4 2 $((n1 + 1)) 0)
"$R" -s "$S" --stats "$T_TMP/r1.bin" "$T_TMP/r2.bin" >"$T_TMP/r2.json" 2>/dev/null
is "$?" "0" "replay of two recordings as one stream"
is "$(js r2 skipped):$(js r2 events):$(js r2 last_seq)" "$n1:$((n2 - n1)):$n2" \
	"only the continuation was sent"
is "$(mq "$BUILDS"):$(mq "$LASTSEQ")" "5:$n2" "5 builds, last_seq advanced"

# --master renames; a rate-limited replay still completes.
M="renamed$TAG"
"$R" -s "$S" -m "$M" -r 500 -q "$T_TMP/r1.bin" 2>"$T_TMP/ren.err"
is "$?" "0" "--master and --rate: replay exits 0"
is "$(mq "$BUILDS"):$(mq "$LASTSEQ")" "3:$n1" "--master: rows under the new name"

# Two masters on two connections at once.
$P mkrec "$T_TMP/ma.bin" "mA$TAG" build-a 1 20 1 1 >/dev/null
$P mkrec "$T_TMP/mb.bin" "mB$TAG" build-b 1 20 1 1 >/dev/null
"$R" -s "$S" -q -r 2000 "$T_TMP/ma.bin" 2>"$T_TMP/ma.err" &
pa=$!
"$R" -s "$S" -q -r 2000 "$T_TMP/mb.bin" 2>"$T_TMP/mb.err" &
pb=$!
wait $pa
sa=$?
wait $pb
is "$sa:$?" "0:0" "two masters replayed at once"
M="mA$TAG"; a=$(mq "$BUILDS"):$(mq "$LASTSEQ")
M="mB$TAG"; b=$(mq "$BUILDS"):$(mq "$LASTSEQ")
is "$a $b" "20:164 20:164" "each master has its 20 builds and its own last_seq"

# Malformed recordings: the file and the offset are named.
head -c $(($(wc -c <"$T_TMP/r2.bin") - 5)) "$T_TMP/r2.bin" >"$T_TMP/trunc.bin"
"$R" -s "$S" -m "trunc$TAG" "$T_TMP/r1.bin" "$T_TMP/trunc.bin" >/dev/null 2>"$T_TMP/trunc.err"
is "$?" "1" "truncated recording: exit 1"
grep -q "trunc.bin: truncated frame at offset [0-9]" "$T_TMP/trunc.err"
ok $? "truncated recording: file and offset named"
printf '\0\0\0\0' >"$T_TMP/zero.bin"
"$R" -s "$S" "$T_TMP/zero.bin" >/dev/null 2>"$T_TMP/zero.err"
is "$?" "1" "zero-length frame in a recording: exit 1"
grep -q "zero.bin: frame at offset 0: length 0" "$T_TMP/zero.err"
ok $? "zero-length frame: file and offset named"
"$R" -s "$T_TMP/nobody.sock" "$T_TMP/r1.bin" >/dev/null 2>"$T_TMP/conn.err"
is "$?" "1" "no listener: exit 1"
grep -q "nobody.sock" "$T_TMP/conn.err"
ok $? "no listener: the socket is named"

# --- protocol errors (raw clients) -------------------------------------------
$P client version "$S" >"$T_TMP/c.out"
is "$(cat "$T_TMP/c.out")" "error 0 protocol version 2 not supported; this listener speaks 1" \
	"hello with another protocol version refused"
$P client early "$S" >"$T_TMP/c.out"
is "$(cat "$T_TMP/c.out")" "error 7 event 7 before hello" "event before hello refused, seq named"
$P client zero "$S" >"$T_TMP/c.out"
grep -q "^error 0 frame at offset [0-9]*: length 0" "$T_TMP/c.out"
ok $? "zero-length frame: error frame naming the offset"
$P client bad "$S" >"$T_TMP/c.out"
w=$(sed -n 1p "$T_TMP/c.out" | cut -d' ' -f2)
is "$(sed -n 2p "$T_TMP/c.out")" "ack $((w + 3))" "bad event: the three good ones before it are acknowledged first"
sed -n 3p "$T_TMP/c.out" | grep -q "^error $((w + 4)) event $((w + 4)) (stepStarted): key \"step\""
ok $? "bad event: error frame with its seq and the key"
M="bad"
is "$(mq "$LASTSEQ")" "$((w + 3))" "bad event: nothing of it written, the good ones committed"
$P client replace "$S" >"$T_TMP/c.out"
grep -q "^a: error 0 replaced by a new connection" "$T_TMP/c.out"
ok $? "a second connection of a master replaces the first"
grep -q "^b: ack " "$T_TMP/c.out"
ok $? "the new connection works"

# --- options, TCP, config file, signals (daemons of our own) -------------------
if [ $OWN -eq 0 ]; then
	done_testing
	exit $?
fi
kill -0 "$MAIN"
ok $? "the daemon survived every bad client"
grep -q "hello: client replay.sh" "$T_TMP/main.err"
ok $? "--verbose logs hellos"
grep -q "closed (peer closed): [0-9]* events, [0-9]* bytes" "$T_TMP/main.err"
ok $? "connection close logged with counts"

# TCP with a token.
port=$(free_port)
printf 's3cret-token\n' >"$T_TMP/token"
printf 'wrong\n' >"$T_TMP/wrong"
daemon_start tcp -s none -t "127.0.0.1:$port" -T "$T_TMP/token" -d "$DB" -l "$LS"
ok $? "daemon on TCP with a token file"
TCPD=$DPID
grep -q "listening on tcp 127.0.0.1:$port" "$T_TMP/tcp.err"
ok $? "startup line names the TCP address"
"$R" -t "127.0.0.1:$port" -T "$T_TMP/token" -m tcp --stats "$T_TMP/r1.bin" >"$T_TMP/tcp.json" 2>"$T_TMP/tcp1.err"
is "$?" "0" "TCP replay with the token"
is "$(js tcp last_seq)" "$n1" "TCP replay acknowledged"
"$R" -t "127.0.0.1:$port" -m tcp2 "$T_TMP/r1.bin" >/dev/null 2>"$T_TMP/tcp2.err"
is "$?" "1" "TCP without a token refused"
grep -q "bad token" "$T_TMP/tcp2.err"
ok $? "... with the error \"bad token\""
"$R" -t "127.0.0.1:$port" -T "$T_TMP/wrong" -m tcp3 "$T_TMP/r1.bin" >/dev/null 2>"$T_TMP/tcp3.err"
is "$?" "1" "TCP with a wrong token refused"
grep -q "bad token" "$T_TMP/tcp3.err"
ok $? "... with the error \"bad token\""
M=tcp2; is "$(mq "SELECT count(*) FROM masters WHERE name = :m")" "0" "a refused client registers no master"
daemon_stop "$TCPD"
is "$?" "0" "SIGTERM: exit 0"

# Config file, and the command line winning over it.
cat >"$T_TMP/d.conf" <<EOF
# test configuration
db = $T_TMP/conf.sqlite
logstore = $T_TMP/conf-ls
socket = $T_TMP/conf.sock

commit-ms = 7
max-frame = 4096
log-file = $T_TMP/conf.log
sync = normal
EOF
LOGW="$T_TMP/conf.log" daemon_start conf -c "$T_TMP/d.conf"
ok $? "daemon started from a config file"
CONFD=$DPID
i=0; while [ ! -S "$T_TMP/conf.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$T_TMP/conf.sock" ]; ok $? "config: socket from the file"
grep -q "listening on $T_TMP/conf.sock (database $T_TMP/conf.sqlite, log store $T_TMP/conf-ls, sync normal)" "$T_TMP/conf.log"
ok $? "config: log file, database, log store and sync from the file"
"$R" -s "$T_TMP/conf.sock" -q "$T_TMP/r1.bin" 2>/dev/null
is "$(q "$T_TMP/conf.sqlite" "SELECT count(*) FROM builds")" "3" "config: events written to the file's database"

$P client big "$T_TMP/conf.sock" 5000 >"$T_TMP/big.out"
grep -q "^error 0 frame at offset [0-9]*: length 5000 exceeds the maximum 4096" "$T_TMP/big.out"
ok $? "config: max-frame from the file; a longer frame is refused"

# SIGHUP reopens the log file.
mv "$T_TMP/conf.log" "$T_TMP/conf.log.1"
kill -HUP "$CONFD"
i=0; while ! grep -q reopened "$T_TMP/conf.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "reopened" "$T_TMP/conf.log"
ok $? "SIGHUP: a new log file is opened and says so"
"$R" -s "$T_TMP/conf.sock" -m hup -q "$T_TMP/r1.bin" 2>/dev/null
i=0; while ! grep -q "closed" "$T_TMP/conf.log" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "closed" "$T_TMP/conf.log" && ! grep -q "hup (" "$T_TMP/conf.log.1"
ok $? "SIGHUP: later lines go to the new file only"

# SIGTERM drains: events sent right before it are committed and acknowledged.
$P client drain "$T_TMP/conf.sock" drain 500 "$T_TMP/ready" >"$T_TMP/drain.out" &
cp=$!
i=0; while [ ! -e "$T_TMP/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
daemon_stop "$CONFD"
is "$?" "0" "SIGTERM with a client sending: exit 0"
wait $cp
is "$(cat "$T_TMP/drain.out")" "sent 500 last_ack 500" "SIGTERM: the client got the ack of its last event"
is "$(q "$T_TMP/conf.sqlite" "SELECT last_seq FROM live_masters l JOIN masters m ON m.id = l.master_id WHERE m.name = 'drain'")" \
	"500" "SIGTERM: every event sent before it is committed"
[ ! -e "$T_TMP/conf.sock" ]; ok $? "SIGTERM: the socket file is removed"

# Command line over config file; a stale socket file is replaced.
"$PYTHON3" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T_TMP/cli.sock"
[ -S "$T_TMP/cli.sock" ]; ok $? "a stale socket file (nobody listening)"
LOGW="$T_TMP/cli.log" daemon_start cli -c "$T_TMP/d.conf" -s "$T_TMP/cli.sock" --log-file "$T_TMP/cli.log"
ok $? "command-line options win over the file's"
"$R" -s "$T_TMP/cli.sock" -m cli -q "$T_TMP/r1.bin" 2>/dev/null
is "$?" "0" "replay through the command line's socket over a stale file"
[ ! -e "$T_TMP/conf.sock" ]; ok $? "the file's socket was not used"
daemon_stop "$DPID"
is "$?" "0" "SIGTERM: exit 0"
grep -q "stopped: [0-9]* events applied" "$T_TMP/cli.log"
ok $? "exit summary logged"

printf 'db = x\nfrobnicate = 3\n' >"$T_TMP/bad.conf"
"$D" -c "$T_TMP/bad.conf" >/dev/null 2>"$T_TMP/badconf.err"
is "$?" "2" "config file with an unknown setting: exit 2"
grep -q "bad.conf:2: unknown setting \"frobnicate\"" "$T_TMP/badconf.err"
ok $? "... naming the file and line"
printf 'commit-events = 0\n' >"$T_TMP/bad2.conf"
"$D" -c "$T_TMP/bad2.conf" >/dev/null 2>"$T_TMP/badconf.err"
grep -q "bad2.conf:1: commit-events: 0 is out of range" "$T_TMP/badconf.err"
ok $? "config file value out of range: file and line named"

# A larger generated recording, if the generator is there.
if [ -f "$top_srcdir/bench/gen-events.py" ] &&
    "$PYTHON3" "$top_srcdir/bench/gen-events.py" --builds 30 --out "$T_TMP/gen.bin" >/dev/null 2>&1; then
	"$R" -s "$S" -m gen --stats "$T_TMP/gen.bin" >"$T_TMP/gen.json" 2>"$T_TMP/gen.err"
	is "$?" "0" "generated recording replayed"
	M=gen; is "$(mq "$LASTSEQ")" "$(js gen last_seq)" "generated recording: last_seq stored"
	[ "$(mq "$BUILDS")" -ge 30 ]; ok $? "generated recording: at least 30 builds"
else
	echo "ok $((T_N + 1)) # SKIP bench/gen-events.py not available"
	T_N=$((T_N + 1))
fi

# A log still running: its text so far is readable while most of it is
# only in live_logs (not yet in a log-store file).
if [ -f "$top_srcdir/bench/gen-events.py" ] &&
    "$PYTHON3" "$top_srcdir/bench/gen-events.py" --builds 2 --out "$T_TMP/run.bin" >/dev/null 2>&1 &&
    "$PYTHON3" - "$top_srcdir/tests/data/frames" "$T_TMP/run.bin" "$T_TMP/run-part.bin" "$T_TMP/run-want" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import msgpack_mini as mp
data = open(sys.argv[2], "rb").read()
# Cut right after the 6th logChunk: its log is still running there.
out, chunks, n, key = [], {}, 0, None
for off, payload in mp.frames(data):
    m = mp.unpack(payload)
    out.append(mp.frame(payload))
    if m.get("event") == "logChunk":
        key = (m["builder"], m["number"], m["step"], m["log"])
        t = m["text"]
        chunks.setdefault(key, []).append(
            t if isinstance(t, bytes) else t.encode("utf-8"))
        n += 1
        if n == 6:
            break
open(sys.argv[3], "wb").write(b"".join(out))
open(sys.argv[4], "wb").write(b"".join(chunks[key]))
PYEOF
then
	"$R" -s "$S" -m running -q "$T_TMP/run-part.bin"
	is "$?" "0" "a recording cut inside a log replayed"
	M=running
	logid=$(mq "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id WHERE m.name = :m AND l.complete = 0 AND l.text_bytes > 0 ORDER BY l.id LIMIT 1")
	[ -n "$logid" ]; ok $? "the running log has a row"
	"$top_builddir/bbmirror-log" -d "$DB" -l "$LS" --all "$logid" >"$T_TMP/run-got" 2>"$T_TMP/run.err"
	is "$?" "0" "bbmirror-log reads the running log"
	cmp -s "$T_TMP/run-got" "$T_TMP/run-want"
	ok $? "its text is every chunk sent so far, the open run included"
else
	for i in 1 2 3 4; do
		echo "ok $((T_N + 1)) # SKIP bench/gen-events.py not available"
		T_N=$((T_N + 1))
	done
fi

daemon_stop "$MAIN"
is "$?" "0" "main daemon: SIGTERM, exit 0"
grep -q "SIGTERM: shutting down" "$T_TMP/main.err"
ok $? "shutdown logged"
no_reports "no sanitizer reports"
done_testing
