#!/bin/sh
# The crash test of tests/integration/crash.sh on PostgreSQL: a recording is
# replayed into a bbmirrord writing to PostgreSQL that is killed with
# SIGKILL at a random moment, CRASH_ROUNDS (10) times over the same
# database (--sync full and normal in turn: synchronous_commit on and off;
# both survive the death of the process), each restart resuming from what
# had been committed; no acknowledged event may be missing after a kill,
# and a last replay runs to the end. The result must be exactly what the
# same recording gives an undisturbed daemon on SQLite: every table's rows
# and every log's bytes (the PostgreSQL database copied into SQLite by
# pg2sqlite.py, both dumped by dump-db.py).
#
# Uses the server of BBM_TEST_PG (the test creates and drops a database of
# its own there) and skips without it. CRASH_SEED reproduces a run;
# CRASH_ROUNDS and CRASH_PG_EVENTS (about 40 000) scale it.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
GEN="$top_srcdir/bench/gen-events.py"
DUMP="$top_srcdir/tests/integration/dump-db.py"
PG2LITE="$top_srcdir/tests/integration/pg2sqlite.py"
ROUNDS=${CRASH_ROUNDS:-10}
WANT=${CRASH_PG_EVENTS:-40000}
SEED=${CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

[ -n "${BBM_TEST_PG:-}" ] || skip_all "BBM_TEST_PG is not set (a libpq connection string to a server where databases may be created)"
command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
command -v psql >/dev/null || skip_all "psql is needed (postgresql-client)"
grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/config.h" 2>/dev/null ||
    skip_all "bbmirror was built without PostgreSQL"
[ -x "$DAEMON" ] && [ -x "$REPLAY" ] || skip_all "bbmirrord is not built"

NAME=bbm_crash_$$_$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
DB=$(pg_createdb "$BBM_TEST_PG" "$NAME") || skip_all "cannot create a database on BBM_TEST_PG"
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done;
    pg_dropdb "$BBM_TEST_PG" "$NAME"; rm -rf "$T_TMP"' EXIT INT TERM

echo "# seed $SEED (CRASH_SEED=$SEED to repeat), $ROUNDS rounds"

# start_daemon NAME DB [ARGS...]: bbmirrord with log store and socket in
# T_TMP; waits for the socket; pid in $dpid.
start_daemon() {
	_n=$1
	_db=$2
	shift 2
	rm -f "$T_TMP/$_n.sock"
	echo "--- start $*" >>"$T_TMP/$_n.log"
	"$DAEMON" --db "$_db" --logstore "$T_TMP/$_n.logstore" \
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
}

last_seq() {
	psql "$DB" -XAt -c "SELECT coalesce(max(last_seq), 0) FROM live_masters" \
	    2>/dev/null || echo "?"
}

REC=$T_TMP/rec
"$PYTHON3" "$GEN" --builds 10 --log-bytes 4000 --out "$T_TMP/probe" \
    >"$T_TMP/probe.out" 2>&1
per=$(grep -o '[0-9][0-9]* events' "$T_TMP/probe.out" | head -n 1 |
    cut -d' ' -f1)
[ -n "$per" ] && [ "$per" -gt 0 ] || per=500
BUILDS=$(( (WANT * 10 + per - 1) / per ))
"$PYTHON3" "$GEN" --builds "$BUILDS" --log-bytes 4000 --out "$REC" \
    --master crashtest >"$T_TMP/gen.out" 2>&1
ok $? "recording of $BUILDS builds generated: $(head -n 1 "$T_TMP/gen.out")"
EVENTS=$(grep -o '[0-9][0-9]* events' "$T_TMP/gen.out" | head -n 1 |
    cut -d' ' -f1)
: "${EVENTS:=$WANT}"

start_daemon ref "$T_TMP/ref.sqlite" && "$REPLAY" --socket "$T_TMP/ref.sock" \
    -q "$REC"
ok $? "reference replay into SQLite"
kill -TERM $dpid
wait $dpid

"$PYTHON3" -c 'import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    print(r.randint(100, 2000))' "$SEED" "$ROUNDS" >"$T_TMP/sleeps"
round=0
prev=0
while read -r ms; do
	round=$((round + 1))
	rate=$((EVENTS * 1000 / (ROUNDS * ms)))
	[ "$rate" -ge 100 ] || rate=100
	sync=full
	[ $((round % 2)) -eq 1 ] || sync=normal
	if ! start_daemon crash "$DB" --sync $sync; then
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
	seq=$(last_seq)
	acked=$(sed -n 's/.*acknowledged up to \([0-9][0-9]*\).*/\1/p' \
	    "$T_TMP/round.out" | tail -n 1)
	echo "# round $round: --sync $sync, $rate events/s, killed after" \
	    "${ms} ms; replay status $rst, acked ${acked:-none};" \
	    "committed seq $seq of $EVENTS"
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

start_daemon crash "$DB" && "$REPLAY" --socket "$T_TMP/crash.sock" \
    "$REC" >"$T_TMP/final.out" 2>&1
st=$?
ok $st "final replay completes: $(tail -n 1 "$T_TMP/final.out")"
kill -TERM $dpid
wait $dpid
is $? 0 "daemon exits 0 on SIGTERM after the final replay"
is "$(last_seq)" "$EVENTS" "every event committed"

"$PYTHON3" "$PG2LITE" "$DB" "$top_srcdir/schema/sqlite" \
    "$T_TMP/crash.sqlite" >"$T_TMP/copy.out" 2>&1
ok $? "PostgreSQL copied into SQLite: $(cat "$T_TMP/copy.out")"
for w in ref crash; do
	"$PYTHON3" "$DUMP" --exclude store_key --logs "$LOGCAT" \
	    --logstore "$T_TMP/$w.logstore" "$T_TMP/$w.sqlite" \
	    >"$T_TMP/$w.dump" 2>"$T_TMP/$w.dump.err"
	ok $? "$w database dumped"
	sed 's/^/#   /' "$T_TMP/$w.dump.err" | head -n 5
done
for t in builders builds steps logs build_properties sourcestamps changes \
    buildsets buildrequests slaves live_masters live_logs; do
	grep "^$t: " "$T_TMP/ref.dump" >"$T_TMP/ref.$t"
	grep "^$t: " "$T_TMP/crash.dump" >"$T_TMP/crash.$t"
	cmp -s "$T_TMP/ref.$t" "$T_TMP/crash.$t"
	ok $? "$t: same rows as the reference ($(wc -l <"$T_TMP/ref.$t"))"
	diff "$T_TMP/ref.$t" "$T_TMP/crash.$t" | head -n 6 | cut -c1-300 |
	    sed 's/^/#   /'
done
n=$(grep -c 'content=[0-9]' "$T_TMP/ref.dump")
[ "$n" -gt 0 ]
ok $? "the reference has logs with content ($n)"
cmp -s "$T_TMP/ref.dump" "$T_TMP/crash.dump"
ok $? "every table and every log's bytes identical ($(wc -l <"$T_TMP/ref.dump") rows)"
nref=$(find "$T_TMP/ref.logstore" -type f -name '*.zst' | wc -l)
ncr=$(find "$T_TMP/crash.logstore" -type f -name '*.zst' | wc -l)
is "$ncr" "$nref" "as many log files in the store as the reference"
if grep -q -i -e 'sanitizer' -e 'runtime error' "$T_TMP/crash.log"; then
	ok 1 "no sanitizer report in the daemon's log"
	grep -i -h -A 5 -e 'sanitizer' -e 'runtime error' "$T_TMP/crash.log" |
	    head -n 20 | sed 's/^/#   /'
fi

done_testing
