#!/bin/sh
# bbmirrord on PostgreSQL survives its database going away. A recording is
# replayed into a daemon whose database is a private PostgreSQL cluster of
# this test; during the replay the cluster crashes (pg_ctl -m immediate)
# and comes back, then restarts cleanly (-m fast). While it is down the
# daemon cannot commit: it acknowledges nothing more, closes its
# connections, and the client (as the plugin does) reconnects and resends
# from its last acknowledged event; the daemon reconnects to the database
# (with a backoff) and carries on. At the end the database must hold
# exactly what the same recording gives an undisturbed SQLite daemon:
# every table's rows and every log's bytes (the PostgreSQL database copied
# into SQLite by pg2sqlite.py, then both dumped by dump-db.py).
#
# Needs Debian's PostgreSQL server (postgresql-NN) and psql.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
GEN="$top_srcdir/bench/gen-events.py"
DUMP="$top_srcdir/tests/integration/dump-db.py"
PG2LITE="$top_srcdir/tests/integration/pg2sqlite.py"
BUILDS=${PG_RESTART_BUILDS:-60}

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
command -v psql >/dev/null || skip_all "psql is needed (postgresql-client)"
pg_bin >/dev/null || skip_all "no PostgreSQL server (apt-get install postgresql)"
grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/config.h" 2>/dev/null ||
    skip_all "bbmirror was built without PostgreSQL"
[ -x "$DAEMON" ] && [ -x "$REPLAY" ] || skip_all "bbmirrord is not built"

# The cluster's directory must be reachable by its owner (postgres as root).
PGD=$T_TMP/pg
chmod 755 "$T_TMP"
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done;
    pg_stop "$PGD" immediate; rm -rf "$T_TMP"' EXIT INT TERM

pg_init "$PGD" && pg_start "$PGD"
ok $? "a private PostgreSQL cluster"
DB=$(pg_createdb "$(pg_conninfo "$PGD")" bbm) || skip_all "createdb failed"

"$PYTHON3" "$GEN" --builds "$BUILDS" --log-bytes 4000 --out "$T_TMP/rec" \
    --master restart >"$T_TMP/gen.out" 2>&1
ok $? "recording: $(head -n 1 "$T_TMP/gen.out")"
EVENTS=$(grep -o '[0-9][0-9]* events' "$T_TMP/gen.out" | head -n 1 |
    cut -d' ' -f1)

# start_daemon NAME DB: bbmirrord on DB, log store and socket in T_TMP.
start_daemon() {
	rm -f "$T_TMP/$1.sock"
	"$DAEMON" --db "$2" --logstore "$T_TMP/$1.logstore" \
	    --socket "$T_TMP/$1.sock" 2>>"$T_TMP/$1.log" &
	dpid=$!
	PIDS="$PIDS $dpid"
	_i=0
	while [ ! -S "$T_TMP/$1.sock" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 600 ] || ! kill -0 $dpid 2>/dev/null; then
			tail -n 20 "$T_TMP/$1.log" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.05
	done
}

# The reference: SQLite, undisturbed.
start_daemon ref "$T_TMP/ref.sqlite" &&
    "$REPLAY" --socket "$T_TMP/ref.sock" -q "$T_TMP/rec"
ok $? "reference replay into SQLite"
kill -TERM $dpid
wait $dpid

# The replay into PostgreSQL, paced to last about 8 s, run again (as the
# plugin reconnects) whenever the daemon drops it, for at most 120 s.
start_daemon pg "$DB"
ok $? "bbmirrord on PostgreSQL"
pgpid=$dpid
rate=$((EVENTS / 8 + 1))
(
	t0=$(date +%s)
	n=0
	while :; do
		n=$((n + 1))
		if "$REPLAY" --socket "$T_TMP/pg.sock" --rate "$rate" \
		    "$T_TMP/rec" >>"$T_TMP/replay.out" 2>&1 </dev/null; then
			echo "$n" >"$T_TMP/replay.runs"
			exit 0
		fi
		[ $(($(date +%s) - t0)) -lt 120 ] || exit 1
		sleep 0.2
	done
) &
rpid=$!
PIDS="$PIDS $rpid"

sleep 2
pg_stop "$PGD" immediate
ok $? "PostgreSQL crashed (pg_ctl stop -m immediate) during the replay"
sleep 1.5
kill -0 $pgpid 2>/dev/null
ok $? "bbmirrord is still running while its database is down"
pg_start "$PGD"
ok $? "PostgreSQL started again"
sleep 2
pg_stop "$PGD" fast && pg_start "$PGD"
ok $? "PostgreSQL restarted (-m fast)"

wait $rpid
ok $? "the replay completed after $(cat "$T_TMP/replay.runs" 2>/dev/null ||
    echo '?') runs"
tail -n 3 "$T_TMP/replay.out" | sed 's/^/#   /'
kill -0 $pgpid 2>/dev/null
ok $? "bbmirrord survived both"
grep -c -e 'cannot begin' -e 'commit of' "$T_TMP/pg.log" >"$T_TMP/nfail"
[ "$(cat "$T_TMP/nfail")" -gt 0 ]
ok $? "the daemon saw the database go ($(cat "$T_TMP/nfail") failed batches)"
grep -e 'cannot begin' -e 'commit of' "$T_TMP/pg.log" | head -n 2 |
    cut -c1-300 | sed 's/^/#   /'
kill -TERM $pgpid
wait $pgpid
is $? 0 "bbmirrord exits 0 on SIGTERM"

is "$(psql "$DB" -XAt -c 'SELECT max(last_seq) FROM live_masters')" \
    "$EVENTS" "every event committed (last_seq $EVENTS)"
"$PYTHON3" "$PG2LITE" "$DB" "$top_srcdir/schema/sqlite" \
    "$T_TMP/pg.sqlite" >"$T_TMP/copy.out" 2>&1
ok $? "PostgreSQL copied into SQLite: $(cat "$T_TMP/copy.out")"
for w in ref pg; do
	"$PYTHON3" "$DUMP" --exclude store_key --logs "$LOGCAT" \
	    --logstore "$T_TMP/$w.logstore" "$T_TMP/$w.sqlite" \
	    >"$T_TMP/$w.dump" 2>"$T_TMP/$w.dump.err"
	ok $? "$w database dumped"
done
n=$(grep -c 'content=[0-9]' "$T_TMP/ref.dump")
[ "$n" -gt 0 ]
ok $? "the reference has logs with content ($n)"
cmp -s "$T_TMP/ref.dump" "$T_TMP/pg.dump"
ok $? "every row and every log's bytes as the undisturbed SQLite daemon's ($(wc -l <"$T_TMP/ref.dump") rows)"
diff "$T_TMP/ref.dump" "$T_TMP/pg.dump" | head -n 10 | cut -c1-300 |
    sed 's/^/#   /'
if grep -q -i -e 'sanitizer' -e 'runtime error' "$T_TMP/pg.log"; then
	ok 1 "no sanitizer report in the daemon's log"
	grep -i -h -A 5 -e 'sanitizer' -e 'runtime error' "$T_TMP/pg.log" |
	    head -n 20 | sed 's/^/#   /'
fi

done_testing
