#!/bin/sh
# POST /push (HttpStatusPush ingest) with curl against the real daemon:
# every request a real 0.8.12 master sent ($BBM_FIXTURES), posted as the
# master posted it, gives the builds, steps, builders, slaves, changes and
# buildsets its packets describe (expectations derived from the file);
# each 200 comes only once the packets are committed; everything posted
# again is recognised as duplicates and writes nothing; bad bodies are
# answered 400 (413, 415) naming the problem and write nothing;
# ?master=NAME names the master. Then a generated master posted as its
# pusher would have posted it, with --master-basedir, gives the rows and
# log contents bbmirror-import gives from its files.
#
# BBMIRRORD_WRAPPER runs the daemons under a tool, for example
# "valgrind --leak-check=full --error-exitcode=3".
. "${top_srcdir:-.}/tests/integration/lib.sh"

http_init
FX="$BBM_FIXTURES/httppush-packets.log"
GEN="$top_srcdir/bench/gen-master.py"

# push.py: reads the fixture, derives what the database must hold, builds
# a generated master's requests and compares two databases.
cat >"$T_TMP/push.py" <<'PYEOF'
import hashlib, json, sqlite3, subprocess, sys, urllib.parse
from datetime import datetime, timezone

def say(ok, name, *diag):
    """A test line for the shell; the diagnostics only when it fails."""
    print("%d %s" % (0 if ok else 1, name))
    for d in diag if not ok else ():
        print("# %s" % d)

def requests(path):
    """The fixture's requests: (path, body, packets)."""
    out = []
    for line in open(path, encoding='ascii'):
        t, p, n, body = line.rstrip('\n').split('\t')
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        out.append((p, body, json.loads(form['packets'][0])))
    return out

def canon(pk):
    return json.dumps(pk, sort_keys=True, separators=(',', ':'))

def identity(c):
    return (c.get('number', 0), '%.0f' % c['when'] if 'when' in c else None,
            c.get('who'), c.get('revision', c.get('rev')), c.get('branch'),
            c.get('repository', ''))

def step_results(s):
    r = s.get('results')
    if r is not None:
        return r[0]
    return 0 if s.get('isFinished') else None

def expect(fixture, db):
    """The rows the fixture's packets describe, against the database."""
    reqs = requests(fixture)
    pks = [pk for _, _, pkts in reqs for pk in pkts]
    con = sqlite3.connect(db)
    q = lambda sql, *a: con.execute(sql, a).fetchall()
    distinct = len(set(canon(pk) for pk in pks))
    n, = q("SELECT count(*) FROM push_packets")[0]
    say(n == distinct, "push_packets: one row per distinct packet (%d of %d)"
        % (distinct, len(pks)), "db has %d" % n)
    builds, finished = set(), {}
    states, slaves, changes, bsids, added = {}, {}, set(), set(), set()
    for pk in pks:
        ev, pl = pk['event'], pk['payload']
        if ev in ('buildStarted', 'buildFinished'):
            b = pl['build']
            key = (b['builderName'], b.get('number', 0), b['times'][0])
            builds.add(key)
            for ss in b.get('sourceStamps', []):
                for c in ss.get('changes', []):
                    changes.add(identity(c))
            if ev == 'buildFinished':
                finished[key] = b
        elif ev == 'builderAdded':
            added.add(pl['builderName'])
        elif ev == 'builderChangedState':
            states[pl['builderName']] = pl['state']
        elif ev == 'buildedRemoved':
            states[pl['builderName']] = 'removed'
        elif ev.startswith('slave'):
            name = pl['slave']['name'] if ev == 'slaveConnected' else pl['slavename']
            c, p = slaves.get(name, (0, 0))
            slaves[name] = {'slaveConnected': (1, 0), 'slaveDisconnected': (0, p),
                            'slavePaused': (c, 1), 'slaveUnpaused': (c, 0)}[ev]
        elif ev == 'changeAdded':
            changes.add(identity(pl['change']))
        elif ev == 'buildsetSubmitted':
            bsids.add(pl['buildset'].get('bsid', 0))
    rows = {(r[0], r[1], r[2]): r[3:] for r in q(
        "SELECT bl.name, b.number, b.started_at, b.id, b.complete, b.results,"
        " (SELECT count(*) FROM steps s WHERE s.build_id = b.id)"
        " FROM builds b JOIN builders bl ON bl.id = b.builder_id")}
    say(set(rows) == builds, "builds: the %d the packets name (builder, number,"
        " start)" % len(builds), "missing %s" % sorted(builds - set(rows))[:3],
        "extra %s" % sorted(set(rows) - builds)[:3])
    per = {}
    for k in builds:
        per[k[0]] = per.get(k[0], 0) + 1
    got = {}
    for k in rows:
        got[k[0]] = got.get(k[0], 0) + 1
    say(per == got, "builds per builder %s" % sorted(per.items()))
    bad = []
    for k, b in finished.items():
        r = rows.get(k)
        want = (1, b.get('results', 0), len(b.get('steps', [])))
        if r is None or tuple(r[1:]) != want:
            bad.append((k, r, want))
    say(not bad, "%d finished builds: complete, results (missing = success),"
        " step count" % len(finished), *map(str, bad[:3]))
    bad = []
    nsteps = 0
    for k, b in finished.items():
        if k not in rows:
            continue
        got = q("SELECT number, name, results, started_at, finished_at"
                " FROM steps WHERE build_id = ? ORDER BY number", rows[k][0])
        want = [(i, s.get('name'), step_results(s),
                 (s.get('times') or [None, None])[0],
                 (s.get('times') or [None, None])[1])
                for i, s in enumerate(b.get('steps', []))]
        nsteps += len(want)
        if got != want:
            bad.append((k, got[:2], want[:2]))
    say(not bad, "%d steps: names, results, times" % nsteps, *map(str, bad[:2]))
    got = dict(q("SELECT name, state FROM builders"))
    say(all(got.get(b) == s for b, s in states.items()) and added <= set(got),
        "builders and their last state %s" % sorted(states.items()),
        str(got))
    got = {r[0]: (r[1], r[2]) for r in q("SELECT name, connected, paused FROM slaves")}
    say(got == slaves, "slaves %s" % sorted(slaves.items()), str(got))
    n, = q("SELECT count(*) FROM changes")[0]
    say(n == len(changes), "%d changes (by identity)" % len(changes), "db %d" % n)
    got = set(r[0] for r in q("SELECT bsid FROM buildsets"))
    say(got == bsids, "%d buildsets" % len(bsids), str(sorted(got)))
    logs = sum(len(s.get('logs', [])) for b in finished.values()
               for s in b.get('steps', []))
    n, = q("SELECT count(*) FROM logs l JOIN steps s ON s.id = l.step_id"
           " JOIN builds b ON b.id = s.build_id WHERE b.complete = 1")[0]
    say(n == logs, "%d logs of finished builds" % logs, "db %d" % n)

def counts(db):
    con = sqlite3.connect(db)
    print(' '.join(str(con.execute("SELECT count(*) FROM %s" % t).fetchone()[0])
                   for t in ('masters', 'builders', 'builds', 'steps', 'logs',
                             'changes', 'buildsets', 'slaves', 'push_packets',
                             'build_properties', 'sourcestamps')),
          con.execute("SELECT coalesce(sum(last_seq), 0) FROM live_masters").fetchone()[0])

# --- a generated master as HttpStatusPush would have sent it --------------

def falsy(x):
    if x is None or x is False:
        return True
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x == 0
    if isinstance(x, (str, list, tuple, dict)):
        return len(x) == 0
    return False

def filter_out(d):
    """buildbot.status.status_push's FilterOut (spec 5b)."""
    if isinstance(d, (list, tuple)):
        items = [filter_out(x) for x in d]
        if all(falsy(x) for x in items):
            return None
        return items
    if isinstance(d, dict):
        return dict((k, v) for k, v in ((k, filter_out(v)) for k, v in d.items())
                    if not falsy(v))
    return d

URL = 'http://localhost:8010/'

def q_(s):
    return urllib.parse.quote(str(s), safe='')

def change_asdict(c):
    return {'number': c['number'], 'branch': c['branch'], 'category': c['category'],
            'who': c['author'], 'comments': c['comments'], 'revision': c['revision'],
            'rev': c['revision'], 'when': c['when'], 'at': 'Mon 1 Jan 2000 00:00:00',
            'files': [{'name': f} for f in c['files']], 'revlink': c['revlink'],
            'properties': [[p['name'], p['value'], p['source']] for p in c['properties']],
            'repository': c['repository'], 'project': c['project'],
            'codebase': c['codebase']}

def step_asdict(bname, number, s, done=True):
    logs = [[lg['name'], URL + 'builders/%s/builds/%d/steps/%s/logs/%s' % (
        q_(bname), number, q_(s['name']), q_(lg['name']))] for lg in s['logs']]
    fin = s['finished'] if done else None
    d = {'name': s['name'], 'text': s['text'] if done else [],
         'results': [s['results'] if done else None, s['text2'] if done else []],
         'isStarted': s['started'] is not None, 'isFinished': fin is not None,
         'statistics': {}, 'times': [s['started'], fin], 'expectations': [],
         'eta': None, 'urls': {}, 'step_number': s['number'], 'hidden': False,
         'logs': logs if done else []}
    return d

def build_asdict(bname, b, changes, done):
    steps = [step_asdict(bname, b['number'], s, done) if done else
             {'name': s['name'], 'step_number': s['number'], 'times': [None, None]}
             for s in b['steps']]
    text = list(b['text']) if done else []
    if done:
        for s in b['steps']:
            text += s['text2']
    sss = []
    for ss in b['sourcestamps']:
        d = {'revision': ss['revision'], 'branch': ss['branch'],
             'hasPatch': ss['patch'] is not None,
             'changes': [change_asdict(changes[n]) for n in ss['changes']],
             'project': ss['project'], 'repository': ss['repository'],
             'codebase': ss['codebase']}
        if ss['patch'] is not None:
            d.update({'patch_level': ss['patch']['level'], 'patch_body': 'x',
                      'patch_subdir': None, 'patch_author': None,
                      'patch_comment': None})
        sss.append(d)
    return {'builderName': bname, 'number': b['number'], 'sourceStamps': sss,
            'reason': b['reason'], 'blame': b['blamelist'],
            'properties': [[p['name'], p['value'], p['source']]
                           for p in sorted(b['properties'], key=lambda p: p['name'])],
            'times': [b['started'], b['finished'] if done else None],
            'text': text, 'results': b['results'] if done else None,
            'slave': b['slave'], 'eta': None, 'steps': steps, 'currentStep': None,
            'logs': [lg for s in steps for lg in s.get('logs', [])]}

def bodies(manifest, out, project):
    m = json.load(open(manifest))
    changes = {c['number']: c for c in m['changes']}
    events = []
    for c in m['changes']:
        events.append((c['when'], 'changeAdded', {'change': change_asdict(c)}))
    t0 = min(b['started'] for br in m['builders'] for b in br['builds']) - 10
    for br in m['builders']:
        events.append((t0, 'builderAdded', {'builderName': br['name'], 'builder': {
            'basedir': br['builddir'], 'tags': [br['category']] if br['category'] else None,
            'slaves': br['slavenames'], 'schedulers': [], 'cachedBuilds': [],
            'currentBuilds': [], 'state': 'offline', 'pendingBuilds': 0}}))
        events.append((t0, 'builderChangedState', {'builderName': br['name'], 'state': 'idle'}))
        for b in br['builds']:
            name, bs = br['name'], b['started']
            events.append((bs, 'buildStarted', {'build': build_asdict(name, b, changes, False)}))
            props = [[p['name'], p['value'], p['source']] for p in
                     sorted(b['properties'], key=lambda p: p['name'])]
            for s in b['steps']:
                if s['started'] is None:
                    continue
                events.append((s['started'], 'stepStarted', {'properties': props,
                    'step': step_asdict(name, b['number'], s, False)}))
                events.append((s['finished'] or s['started'], 'stepFinished', {
                    'properties': props, 'step': step_asdict(name, b['number'], s)}))
            events.append((b['finished'] or bs, 'buildFinished',
                           {'build': build_asdict(name, b, changes, True)}))
    events.sort(key=lambda e: e[0])
    started = '2026-11-22 10:00:00.000001'
    pks = []
    for i, (t, ev, payload) in enumerate(events):
        ts = datetime.fromtimestamp(t, timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')
        pks.append({'id': i + 1, 'timestamp': ts, 'started': started,
                    'project': project, 'event': ev,
                    'payload': dict((k, filter_out(v)) for k, v in payload.items())})
    with open(out, 'w') as f:
        for i in range(0, len(pks), 200):
            js = json.dumps(pks[i:i + 200], separators=(',', ':'))
            f.write(urllib.parse.urlencode({'packets': js}) + '\n')
    print(len(pks))

def compare(dbi, lsi, dbp, lsp, manifest, logcat):
    """The pushed master against the imported one, where asDict tells."""
    m = json.load(open(manifest))
    inline = set()
    for br in m['builders']:
        for b in br['builds']:
            for s in b['steps']:
                for j, lg in enumerate(s['logs']):
                    if lg['file'] == 'inline':
                        inline.add((br['name'], b['number'], s['number'], j))
    def rows(db, sql):
        return sqlite3.connect(db).execute(sql).fetchall()
    def identical(what, sql):
        i, p = rows(dbi, sql), rows(dbp, sql)
        say(i == p and len(i) > 0, "%s: %d identical rows" % (what, len(i)),
            *["import %s / push %s" % (x, y) for x, y in zip(i, p) if x != y][:3])
    B = ("SELECT bl.name, b.number, b.started_at, b.finished_at, b.complete,"
         " b.results, b.text, b.reason, b.slave, b.blamelist FROM builds b"
         " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3")
    identical("builds", B)
    S = ("SELECT bl.name, b.number, s.number, s.name, s.started_at,"
         " s.finished_at, s.results, s.text, s.text2, s.hidden, s.skipped"
         " FROM steps s JOIN builds b ON b.id = s.build_id"
         " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3")
    identical("steps", S)
    L = ("SELECT bl.name, b.number, s.number, l.number, l.name, l.filename,"
         " l.kind, l.state, l.stored_bytes, l.text_bytes, l.lines, l.complete,"
         " l.id FROM logs l JOIN steps s ON s.id = l.step_id"
         " JOIN builds b ON b.id = s.build_id"
         " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3, 4")
    li, lp = rows(dbi, L), rows(dbp, L)
    bad, same, stored = [], 0, 0
    for x, y in zip(li, lp):
        if x[:4] in inline:
            ok = x[:7] == y[:7] and y[7] == 'missing'
        else:
            ok = x[:-1] == y[:-1]
        if not ok:
            bad.append("import %s / push %s" % (x, y))
            continue
        if x[7] != 'stored' or x[:4] in inline:
            continue
        stored += 1
        a = subprocess.run([logcat, '-d', dbi, '-l', lsi, '--raw', str(x[-1])],
                           capture_output=True).stdout
        b = subprocess.run([logcat, '-d', dbp, '-l', lsp, '--raw', str(y[-1])],
                           capture_output=True).stdout
        if a == b and len(a) == x[8]:
            same += 1
        else:
            bad.append("log %s: %d and %d bytes differ" % (x[:6], len(a), len(b)))
    say(len(li) == len(lp) and not bad and len(li) > 0,
        "logs: %d rows alike (%d inline HTML logs missing: no file)"
        % (len(li), len(inline)), *bad[:3])
    say(same == stored and stored > 0, "log contents byte-identical to the "
        "import's: %d logs" % same)
    P = ("SELECT bl.name, b.number, p.name, p.value, p.source FROM"
         " build_properties p JOIN builds b ON b.id = p.build_id"
         " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3")
    identical("build properties", P)
    # FilterOut leaves '' and None alike: both read back as NULL.
    SS = ("SELECT bl.name, b.number, ss.number, nullif(ss.branch, ''),"
          " nullif(ss.revision, ''),"
          " ss.repository, ss.project, ss.codebase, ss.patch_level,"
          " ss.patch_body IS NULL FROM sourcestamps ss"
          " JOIN builds b ON b.id = ss.build_id"
          " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3")
    identical("source stamps", SS)
    C = ("SELECT bl.name, b.number, c.identity, c.number, c.author, c.comments,"
         " c.branch, c.revision, c.revlink, c.category, c.repository, c.project,"
         " c.when_at, (SELECT group_concat(filename, ' ') FROM change_files f"
         " WHERE f.change_id = c.id) FROM build_changes bc"
         " JOIN changes c ON c.id = bc.change_id JOIN builds b ON b.id = bc.build_id"
         " JOIN builders bl ON bl.id = b.builder_id ORDER BY 1, 2, 3")
    identical("the builds' changes", C)

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'expect':
        expect(*sys.argv[2:4])
    elif cmd == 'counts':
        counts(sys.argv[2])
    elif cmd == 'packets':
        for _, body, pkts in requests(sys.argv[2]):
            print(len(pkts))
    elif cmd == 'bodies':
        bodies(*sys.argv[2:5])
    elif cmd == 'compare':
        compare(*sys.argv[2:8])
PYEOF

# post FILE [QUERY [CONTENT-TYPE [CURL-ARGS...]]]: POSTs FILE as the master
# does (HTTP/1.0, a urlencoded form, User-Agent buildbot); the body goes to
# $T_TMP/resp, the status is printed.
post() {
	f=$1
	qs=${2:-}
	ct=${3:-application/x-www-form-urlencoded}
	shift
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	curl -s -0 -A buildbot -H "Content-Type: $ct" "$@" \
		--data-binary "@$f" -o "$T_TMP/resp" -w '%{http_code}' \
		"http://127.0.0.1:$PORT/push$qs"
}

# field NAME: a number or boolean of the (compact) JSON answer in $T_TMP/resp.
field() {
	sed -n "s/.*\"$1\":\([0-9a-z]*\).*/\1/p" "$T_TMP/resp"
}

# pycheck ARGS...: runs push.py; its "0 NAME" / "1 NAME" lines are tests.
pycheck() {
	"$PYTHON3" "$T_TMP/push.py" "$@" >"$T_TMP/check" 2>&1 ||
		echo "1 push.py $1 failed" >>"$T_TMP/check"
	while IFS= read -r l; do
		case "$l" in
		"# "*) echo "$l" ;;
		[01]" "*) ok "${l%% *}" "${l#* }" ;;
		*) echo "# $l" ;;
		esac
	done <"$T_TMP/check"
}

# --- the requests of a real 0.8.12 master -----------------------------------

if [ ! -f "$FX" ]; then
	echo "# skipped the fixture part: $FX is absent"
else
	DB="$T_TMP/a.sqlite"
	http_daemon_start a --socket "$T_TMP/a.sock" --http 127.0.0.1:0 \
		--db "$DB" --logstore "$T_TMP/a-ls"
	ok $? "daemon started with --http"
	"$PYTHON3" "$T_TMP/push.py" packets "$FX" >"$T_TMP/npk"
	n=0 bad=0 late=0 total=0 dups=0
	exec 3<"$T_TMP/npk"
	while IFS= read -r line; do
		read -r want <&3
		n=$((n + 1))
		printf '%s' "$line" | cut -f4- | tr -d '\n' >"$T_TMP/body"
		code=$(post "$T_TMP/body")
		if [ "$code" != 200 ] || [ "$(field ok)" != true ] ||
		    [ "$(field packets)" != "$want" ]; then
			bad=$((bad + 1))
			echo "# request $n: $code $(cat "$T_TMP/resp")"
			continue
		fi
		total=$((total + $(field applied) + $(field failed)))
		dups=$((dups + $(field duplicates)))
		# Another connection must see them as soon as the 200 is in.
		seen=$(q "$DB" "SELECT count(*) FROM push_packets")
		if [ "$seen" != "$total" ]; then
			late=$((late + 1))
			echo "# request $n: 200 with $total packets, $seen committed"
		fi
	done <"$FX"
	exec 3<&-
	ok $bad "$n requests answered 200 with their packet counts"
	ok $late "each 200 came after its commit (push_packets read at once)"
	echo "# $total packets applied, $dups duplicates within the file"
	pycheck expect "$FX" "$DB"

	"$PYTHON3" "$T_TMP/push.py" counts "$DB" >"$T_TMP/before"
	n=0 bad=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s' "$line" | cut -f4- | tr -d '\n' >"$T_TMP/body"
		code=$(post "$T_TMP/body")
		if [ "$code" != 200 ] || [ "$(field applied)" != 0 ] ||
		    [ "$(field duplicates)" != "$(field packets)" ]; then
			bad=$((bad + 1))
			echo "# again $n: $code $(cat "$T_TMP/resp")"
		fi
	done <"$FX"
	ok $bad "posted again: $n answers say every packet is a duplicate"
	"$PYTHON3" "$T_TMP/push.py" counts "$DB" >"$T_TMP/after"
	is "$(cat "$T_TMP/after")" "$(cat "$T_TMP/before")" \
		"posted again: no row added (masters builders builds steps logs changes buildsets slaves push_packets properties sourcestamps seq)"

	# Bad bodies: a clear 4xx naming the problem, nothing written.
	head -n 1 "$FX" | cut -f4- | tr -d '\n' >"$T_TMP/first"
	"$PYTHON3" - "$T_TMP/first" "$T_TMP" <<'PYEOF'
import json, sys, urllib.parse
body = open(sys.argv[1]).read()
pk = json.loads(urllib.parse.parse_qs(body)['packets'][0])
def write(name, packets):
    with open('%s/%s' % (sys.argv[2], name), 'w') as f:
        f.write(urllib.parse.urlencode({'packets': json.dumps(packets)}))
pk[2]['payload']['builder']['slaves'] = 5
write('badtype', pk)
pk[2]['payload']['builder']['slaves'] = ['bot1']
del pk[5]['id']
write('noid', pk)
with open(sys.argv[2] + '/badutf8', 'wb') as f:
    f.write(body.replace('%22scenarios%22', '%22sc%FFenarios%22', 1).encode())
PYEOF
	printf 'garbage' >"$T_TMP/garbage"
	printf 'packets=%%5B%%7B%%22id%%22%%3A1' >"$T_TMP/badjson"
	printf 'packets=%%5B1%%2C' >"$T_TMP/cut"
	printf 'foo=1&packets=%%ZZ' >"$T_TMP/escape"
	for c in "garbage:no \"packets\" field" \
	    "badjson:invalid JSON" \
	    "cut:invalid JSON" \
	    "escape:not followed by two hex digits" \
	    "badtype:packet 2 (builderAdded): key \"payload.builder.slaves\": expected an array, got integer" \
	    "noid:packet 5 (builderChangedState): key \"id\": missing" \
	    "badutf8:invalid JSON"; do
		f=${c%%:*}
		code=$(post "$T_TMP/$f")
		msg=$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["error"]["message"])' <"$T_TMP/resp" 2>/dev/null)
		case "$msg" in *"${c#*:}"*) r=0 ;; *) r=1 ;; esac
		[ "$code" = 400 ] || r=1
		ok $r "bad body ($f): 400: $msg"
	done
	code=$(post "$T_TMP/first" "" application/json)
	is "$code" 415 "a JSON Content-Type: 415"
	head -c 9000000 /dev/zero | tr '\0' 'a' >"$T_TMP/big"
	code=$(post "$T_TMP/big")
	is "$code" 413 "a body over 8 MiB: 413"
	code=$(post "$T_TMP/big" "" "" -H 'Transfer-Encoding: chunked')
	is "$code" 413 "a chunked body over 8 MiB: 413"
	"$PYTHON3" "$T_TMP/push.py" counts "$DB" >"$T_TMP/after"
	is "$(cat "$T_TMP/after")" "$(cat "$T_TMP/before")" \
		"bad bodies wrote nothing"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/push")
	is "$code" 405 "GET /push: 405"

	code=$(post "$T_TMP/first" "?master=other%20name")
	is "$code:$(field applied)" "200:$(field packets)" "?master= names the master"
	is "$(q "$DB" "SELECT count(*) FROM builders bl JOIN masters m ON m.id = bl.master_id WHERE m.name = 'other name'")" \
		"$(q "$DB" "SELECT count(*) FROM builders bl JOIN masters m ON m.id = bl.master_id WHERE m.name = 'RealBB 0.8.12 fixture'")" \
		"?master=: its builders under that master"
	daemon_stop "$DPID"
	ok $? "a: SIGTERM, exit status 0"
fi

# --- a generated master, its logs read from its files ---------------------

if [ ! -f "$GEN" ]; then
	echo "# skipped the generated part: $GEN is absent"
else
	M="$T_TMP/master"
	"$PYTHON3" "$GEN" --version 0.8.7 --builders 3 --builds 6 --seed 7 \
		--jobs 1 --manifest "$M.json" "$M" >/dev/null
	ok $? "generated a 0.8.7 master"
	"$IMPORT" --db "$T_TMP/i.sqlite" --logstore "$T_TMP/i-ls" --quiet "$M" \
		2>"$T_TMP/import.err"
	[ $? -le 1 ]
	ok $? "imported it (the reference)"
	"$PYTHON3" "$T_TMP/push.py" bodies "$M.json" "$T_TMP/bodies" "generated" \
		>"$T_TMP/npk"
	ok $? "its pusher's requests: $(cat "$T_TMP/npk") packets"
	http_daemon_start b --socket "$T_TMP/b.sock" --http 127.0.0.1:0 \
		--db "$T_TMP/p.sqlite" --logstore "$T_TMP/p-ls" \
		--master-basedir "$M"
	ok $? "daemon started with --master-basedir"
	n=0 bad=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s' "$line" >"$T_TMP/body"
		code=$(post "$T_TMP/body")
		if [ "$code" != 200 ] || [ "$(field applied)" != "$(field packets)" ]; then
			bad=$((bad + 1))
			echo "# request $n: $code $(cat "$T_TMP/resp")"
		fi
	done <"$T_TMP/bodies"
	ok $bad "$n requests applied"
	pycheck compare "$T_TMP/i.sqlite" "$T_TMP/i-ls" "$T_TMP/p.sqlite" \
		"$T_TMP/p-ls" "$M.json" "$LOGCAT"
	grep -v "listening on\|shutting down\|stopped:" "$T_TMP/b.err" |
		sed 's/^/# /' | head -n 5
	daemon_stop "$DPID"
	ok $? "b: SIGTERM, exit status 0"
fi

done_testing
