#!/bin/sh
# Crash safety of bbmirrord: a recording of about 100 000 events is
# replayed into a daemon that is killed with SIGKILL at a random moment,
# CRASH_ROUNDS (20) times over the same database (--sync full and normal
# in turn: both promise to survive the death of the process), each restart
# resuming from what the daemon had committed, and no acknowledged event
# may be missing after a kill; a last replay then runs to the end.
# The database and the logs must then be exactly those of the same
# recording replayed into a daemon never disturbed: every table's rows,
# compared by content rather than by row id (tests/integration/dump-db.py),
# and every log's bytes (bbmirror-log --raw): nothing lost, nothing twice.
#
# CRASH_SEED reproduces a run (the seed is printed); CRASH_ROUNDS and
# CRASH_BUILDS (the size of the recording) scale it.
. "${top_srcdir:-.}/tests/integration/lib.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
GEN="$top_srcdir/bench/gen-events.py"
DUMP="$top_srcdir/tests/integration/dump-db.py"
ROUNDS=${CRASH_ROUNDS:-20}
BUILDS=${CRASH_BUILDS:-}
SEED=${CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
[ -x "$DAEMON" ] || skip_all "bbmirrord is not built"
[ -x "$REPLAY" ] || skip_all "bbmirror-replay is not built"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is missing"

PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T_TMP"' \
    EXIT INT TERM

echo "# seed $SEED (CRASH_SEED=$SEED to repeat), $ROUNDS rounds"

# start_daemon NAME [ARGS...]: bbmirrord on $T_TMP/NAME.{sqlite,logstore}
# and a fresh socket, stderr appended to $T_TMP/NAME.log; waits for the
# socket; pid in $dpid.
start_daemon() {
	_n=$1
	shift
	rm -f "$T_TMP/$_n.sock"
	echo "--- start $*" >>"$T_TMP/$_n.log"
	"$DAEMON" --db "$T_TMP/$_n.sqlite" --logstore "$T_TMP/$_n.logstore" \
	    --socket "$T_TMP/$_n.sock" "$@" 2>>"$T_TMP/$_n.log" &
	dpid=$!
	PIDS="$PIDS $dpid"
	_i=0
	while [ ! -S "$T_TMP/$_n.sock" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 600 ] || ! kill -0 $dpid 2>/dev/null; then
			echo "# bbmirrord $_n did not start:"
			tail -n 20 "$T_TMP/$_n.log" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# stop_daemon NAME: SIGTERM to $dpid; its exit status in $dst.
stop_daemon() {
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid"
	dst=$?
	[ "$dst" -eq 0 ] || tail -n 20 "$T_TMP/$1.log" | sed 's/^/#   /'
}

# last_seq DB: the master's last committed sequence number in DB.
last_seq() {
	q "$1" "SELECT coalesce(max(last_seq), 0) FROM live_masters" 2>/dev/null ||
	    echo "?"
}

# The recording: gen-events.py's mix with 4 KB of output per build (the
# default 20 KB triples the generation time and adds nothing here), builds
# enough for about 100 000 events (measured on a small one first).
REC=$T_TMP/rec
LOGB=4000
if [ -z "$BUILDS" ]; then
	"$PYTHON3" "$GEN" --builds 10 --log-bytes $LOGB --out "$T_TMP/probe" \
	    >"$T_TMP/probe.out" 2>&1
	per=$(grep -o '[0-9][0-9]* events' "$T_TMP/probe.out" | head -n 1 |
	    cut -d' ' -f1)
	[ -n "$per" ] && [ "$per" -gt 0 ] || per=500
	BUILDS=$(( (100000 * 10 + per - 1) / per ))
fi
"$PYTHON3" "$GEN" --builds "$BUILDS" --log-bytes $LOGB --out "$REC" \
    --master crashtest \
    >"$T_TMP/gen.out" 2>&1
ok $? "recording of $BUILDS builds generated: $(head -n 1 "$T_TMP/gen.out")"
EVENTS=$(grep -o '[0-9][0-9]* events' "$T_TMP/gen.out" | head -n 1 |
    cut -d' ' -f1)
: "${EVENTS:=100000}"

# The reference: the recording replayed once, undisturbed.
start_daemon ref && "$REPLAY" --socket "$T_TMP/ref.sock" --stats "$REC" \
    >"$T_TMP/ref.out" 2>&1
ok $? "reference replay: $(tail -n 1 "$T_TMP/ref.out")"
stop_daemon ref
is "$dst" 0 "reference daemon exits 0 on SIGTERM"

# The rounds. Each one paces the replay so that, whatever the daemon's
# speed, the kill comes in the middle of the recording: about 1/ROUNDS of
# it is due before the kill, so a short round sends at a high rate (big
# batches under way, or the daemon's full speed) and a long one slowly,
# and over the rounds the kills spread over the whole recording.
"$PYTHON3" -c 'import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    print(r.randint(50, 1500))' "$SEED" "$ROUNDS" >"$T_TMP/sleeps"
round=0
prev=0
while read -r ms; do
	round=$((round + 1))
	rate=$((EVENTS * 1000 / (ROUNDS * ms)))
	[ "$rate" -ge 100 ] || rate=100
	# --sync normal promises to survive a crash of the process as well.
	sync=full
	[ $((round % 2)) -eq 1 ] || sync=normal
	if ! start_daemon crash --sync $sync; then
		ok 1 "round $round: daemon started"
		break
	fi
	"$REPLAY" --socket "$T_TMP/crash.sock" --rate "$rate" "$REC" \
	    >"$T_TMP/round.out" 2>&1 </dev/null &
	rpid=$!
	PIDS="$PIDS $rpid"
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -9 "$dpid"
	wait "$dpid" 2>/dev/null
	wait "$rpid"
	rst=$?
	seq=$(last_seq "$T_TMP/crash.sqlite")
	integ=$(q "$T_TMP/crash.sqlite" "PRAGMA integrity_check" 2>&1 |
	    head -n 1)
	# What the replay saw acknowledged before the daemon died (it says
	# so when it fails, and in its summary when it got to the end).
	acked=$(sed -n 's/.*acknowledged up to \([0-9][0-9]*\).*/\1/p' \
	    "$T_TMP/round.out" | tail -n 1)
	echo "# round $round: --sync $sync, $rate events/s, killed after ${ms} ms;" \
	    "replay status $rst," \
	    "acked ${acked:-none}; committed seq $seq of $EVENTS"
	is "$integ" "ok" "round $round: database intact after SIGKILL"
	case $seq in
	*[!0-9]*|"") ok 1 "round $round: committed seq readable ($seq)" ;;
	*)
		[ "$seq" -ge "$prev" ]
		ok $? "round $round: committed seq did not go back ($prev -> $seq)"
		prev=$seq
		[ "$seq" -ge "${acked:-0}" ]
		ok $? "round $round: every acknowledged event survived" \
		    "(acked ${acked:-0} <= committed $seq)"
		;;
	esac
done <"$T_TMP/sleeps"

# The rest of the recording, undisturbed.
start_daemon crash && "$REPLAY" --socket "$T_TMP/crash.sock" --stats "$REC" \
    >"$T_TMP/final.out" 2>&1
st=$?
ok $st "final replay completes: $(tail -n 1 "$T_TMP/final.out")"
[ $st -eq 0 ] || tail -n 5 "$T_TMP/final.out" | sed 's/^/#   /'
stop_daemon crash
is "$dst" 0 "daemon exits 0 on SIGTERM after the final replay"
is "$(last_seq "$T_TMP/crash.sqlite")" "$(last_seq "$T_TMP/ref.sqlite")" \
    "same last committed seq as the reference"

for w in ref crash; do
	"$PYTHON3" "$DUMP" --exclude store_key --logs "$LOGCAT" \
	    --logstore "$T_TMP/$w.logstore" "$T_TMP/$w.sqlite" \
	    >"$T_TMP/$w.dump" 2>"$T_TMP/$w.dump.err"
	ok $? "$w database dumped"
	sed 's/^/#   /' "$T_TMP/$w.dump.err" | head -n 5
done
echo "# reference rows: $("$PYTHON3" "$DUMP" --counts "$T_TMP/ref.sqlite" |
    tr '\n' ' ')"
for t in builders builds steps logs build_properties sourcestamps changes \
    buildsets buildrequests slaves live_masters live_logs; do
	grep "^$t: " "$T_TMP/ref.dump" >"$T_TMP/ref.$t"
	grep "^$t: " "$T_TMP/crash.dump" >"$T_TMP/crash.$t"
	cmp -s "$T_TMP/ref.$t" "$T_TMP/crash.$t"
	ok $? "$t: same rows as the reference ($(wc -l <"$T_TMP/ref.$t"))"
	diff "$T_TMP/ref.$t" "$T_TMP/crash.$t" | head -n 6 | cut -c1-400 |
	    sed 's/^/#   /'
done
n=$(grep -c 'content=[0-9]' "$T_TMP/ref.dump")
[ "$n" -gt 0 ]
ok $? "the reference has logs with content ($n)"
cmp -s "$T_TMP/ref.dump" "$T_TMP/crash.dump"
ok $? "every table and every log's bytes identical ($(wc -l <"$T_TMP/ref.dump") rows)"
diff "$T_TMP/ref.dump" "$T_TMP/crash.dump" | head -n 10 | cut -c1-400 |
    sed 's/^/#   /'
# Every log file in the store belongs to a row: a log the killed daemon
# had written but not committed is rewritten under the same key when its
# events come again, so the crashed store has the reference's files.
# Temporary files (never named *.zst) a kill interrupted are only counted.
nref=$(find "$T_TMP/ref.logstore" -type f -name '*.zst' | wc -l)
ncr=$(find "$T_TMP/crash.logstore" -type f -name '*.zst' | wc -l)
is "$ncr" "$nref" "as many log files in the store as the reference"
ntmp=$(find "$T_TMP/crash.logstore" -type f ! -name '*.zst' ! -name '*.pack' |
    wc -l)
echo "# other files left in the crashed log store: $ntmp"
find "$T_TMP/crash.logstore" -type f ! -name '*.zst' ! -name '*.pack' |
    head -n 3 | sed "s|$T_TMP/||;s/^/#   /"
if grep -q -i -e 'sanitizer' -e 'runtime error' "$T_TMP/crash.log" \
    "$T_TMP/ref.log"; then
	ok 1 "no sanitizer report in the daemons' logs"
	grep -i -h -A 5 -e 'sanitizer' -e 'runtime error' "$T_TMP/crash.log" \
	    "$T_TMP/ref.log" | head -n 20 | sed 's/^/#   /'
fi

done_testing
