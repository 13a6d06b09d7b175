#!/bin/sh
# Several writers on one PostgreSQL database at once, as a team with many
# masters runs it: two bbmirrord (one per master, each replaying its own
# recording) and a bbmirror-import of a third master, all started together
# against one fresh database and one log store; then the importer runs a
# second time while the listeners replay their recordings again (nothing
# may be written twice). Each master's rows and logs must then be exactly
# those of the same source written alone into SQLite (dump-db.py --master
# on the PostgreSQL database copied into SQLite by pg2sqlite.py): no lost
# update, no duplicate, no writer failing on another's lock.
#
# Uses the server of BBM_TEST_PG (a libpq connection string; the test
# creates and drops a database of its own there) and skips without it.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
GEN="$top_srcdir/bench/gen-events.py"
GENM="$top_srcdir/bench/gen-master.py"
DUMP="$top_srcdir/tests/integration/dump-db.py"
PG2LITE="$top_srcdir/tests/integration/pg2sqlite.py"

[ -n "${BBM_TEST_PG:-}" ] || skip_all "BBM_TEST_PG is not set (a libpq connection string to a server where databases may be created)"
command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
command -v psql >/dev/null || skip_all "psql is needed (postgresql-client)"
grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/config.h" 2>/dev/null ||
    skip_all "bbmirror was built without PostgreSQL"
[ -x "$DAEMON" ] && [ -x "$REPLAY" ] && [ -x "$IMPORT" ] ||
    skip_all "the programs are not built"

NAME=bbm_conc_$$_$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
DB=$(pg_createdb "$BBM_TEST_PG" "$NAME") || skip_all "cannot create a database on BBM_TEST_PG"
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done;
    pg_dropdb "$BBM_TEST_PG" "$NAME"; rm -rf "$T_TMP"' EXIT INT TERM

for m in alpha beta; do
	"$PYTHON3" "$GEN" --builds 40 --log-bytes 4000 --master "$m" \
	    --seed "$(printf %s "$m" | cksum | cut -d' ' -f1)" \
	    --out "$T_TMP/$m.rec" >"$T_TMP/$m.gen" 2>&1
	ok $? "recording of master $m: $(head -n 1 "$T_TMP/$m.gen")"
done
"$PYTHON3" "$GENM" --version 0.8.2 --builders 3 --builds 20 \
    --log-bytes 2000 "$T_TMP/gamma" >"$T_TMP/gamma.gen" 2>&1
ok $? "master directory gamma generated"

# start_daemon NAME DB LOGSTORE: bbmirrord; its pid in $dpid.
start_daemon() {
	rm -f "$T_TMP/$1.sock"
	"$DAEMON" --db "$2" --logstore "$3" --socket "$T_TMP/$1.sock" \
	    2>>"$T_TMP/$1.log" &
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

# The references: each source alone, into SQLite.
for m in alpha beta; do
	start_daemon "ref-$m" "$T_TMP/ref-$m.sqlite" "$T_TMP/ref-$m.ls" &&
	    "$REPLAY" --socket "$T_TMP/ref-$m.sock" -q "$T_TMP/$m.rec"
	ok $? "reference: $m replayed alone into SQLite"
	kill -TERM $dpid
	wait $dpid
done
"$IMPORT" --db "$T_TMP/ref-gamma.sqlite" --logstore "$T_TMP/ref-gamma.ls" \
    -q "$T_TMP/gamma"
ok $? "reference: gamma imported alone into SQLite"

# Everything at once into PostgreSQL, one log store for all.
LS=$T_TMP/pg.ls
start_daemon alpha "$DB" "$LS" && apid=$dpid &&
    start_daemon beta "$DB" "$LS" && bpid=$dpid
ok $? "two bbmirrord on one PostgreSQL database"
round() {
	"$REPLAY" --socket "$T_TMP/alpha.sock" "$T_TMP/alpha.rec" \
	    >"$T_TMP/alpha.out" 2>&1 &
	p1=$!
	"$REPLAY" --socket "$T_TMP/beta.sock" "$T_TMP/beta.rec" \
	    >"$T_TMP/beta.out" 2>&1 &
	p2=$!
	"$IMPORT" --db "$DB" --logstore "$LS" -q "$T_TMP/gamma" \
	    >"$T_TMP/gamma.out" 2>&1
	ist=$?
	wait $p1
	ast=$?
	wait $p2
	bst=$?
}
t0=$(date +%s)
round
ok $ast "alpha replayed: $(tail -n 1 "$T_TMP/alpha.out")"
ok $bst "beta replayed: $(tail -n 1 "$T_TMP/beta.out")"
ok $ist "gamma imported meanwhile"
sed 's/^/#   /' "$T_TMP/gamma.out" | head -n 5
round
ok $((ast + bst + ist)) "the same again, all at once: nothing to do"
echo "# both rounds: $(($(date +%s) - t0)) s"
for m in alpha beta; do
	[ "$m" = alpha ] && p=$apid || p=$bpid
	kill -TERM $p
	wait $p
	ok $? "bbmirrord of $m exits 0"
	grep -q 'stopped: .*, 0 failed,' "$T_TMP/$m.log"
	ok $? "no event of $m failed: $(grep -o 'stopped: .*' "$T_TMP/$m.log" |
	    tail -n 1)"
done
if grep -i -e 'cannot begin' -e 'commit of' -e 'deadlock' -e 'failed:' \
    -e 'database error' "$T_TMP/alpha.log" "$T_TMP/beta.log" \
    >"$T_TMP/errs"; then
	ok 1 "no failed batch in the daemons' logs"
	head -n 5 "$T_TMP/errs" | cut -c1-300 | sed 's/^/#   /'
fi

"$PYTHON3" "$PG2LITE" "$DB" "$top_srcdir/schema/sqlite" \
    "$T_TMP/pg.sqlite" >"$T_TMP/copy.out" 2>&1
ok $? "PostgreSQL copied into SQLite: $(cat "$T_TMP/copy.out")"
is "$(q "$T_TMP/pg.sqlite" "SELECT count(*) FROM masters")" 3 "three masters"
# bbmirror-log reads PostgreSQL itself: the same bytes as through the copy.
bad=0
n=0
for id in $(psql "$DB" -XAt -c "SELECT id FROM logs WHERE state = 'stored' \
    ORDER BY id LIMIT 40"); do
	a=$("$LOGCAT" --db "$DB" --logstore "$LS" --raw "$id" | cksum)
	b=$("$LOGCAT" --db "$T_TMP/pg.sqlite" --logstore "$LS" --raw "$id" |
	    cksum)
	[ "$a" = "$b" ] || bad=$((bad + 1))
	n=$((n + 1))
done
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
ok $? "bbmirror-log --db on PostgreSQL: $n logs, $bad different"
for m in alpha beta gamma; do
	"$PYTHON3" "$DUMP" --master "$m" --exclude store_key --logs "$LOGCAT" \
	    --logstore "$T_TMP/ref-$m.ls" "$T_TMP/ref-$m.sqlite" \
	    >"$T_TMP/ref-$m.dump" 2>"$T_TMP/ref-$m.err"
	"$PYTHON3" "$DUMP" --master "$m" --exclude store_key --logs "$LOGCAT" \
	    --logstore "$LS" "$T_TMP/pg.sqlite" \
	    >"$T_TMP/pg-$m.dump" 2>"$T_TMP/pg-$m.err"
	ok $? "$m dumped"
	cmp -s "$T_TMP/ref-$m.dump" "$T_TMP/pg-$m.dump"
	ok $? "$m: every row and log as written alone ($(wc -l <"$T_TMP/ref-$m.dump") rows, $(grep -c 'content=[0-9]' "$T_TMP/ref-$m.dump") logs with content)"
	diff "$T_TMP/ref-$m.dump" "$T_TMP/pg-$m.dump" | head -n 6 |
	    cut -c1-300 | sed 's/^/#   /'
done

done_testing
