#!/bin/sh
# The same builds seen live and imported give the same rows. One set of
# builds as two sources: a recording of the events a master sent while
# running them (bench/gen-events.py) and the master base directory it left
# (build pickles, logs, state) from the same generator run (--pickles).
# The recording is replayed into database A through bbmirrord, the base
# directory imported into database B with bbmirror-import; builds, steps,
# logs, properties, source stamps and changes must be equal row for row
# (ids, origin, updated_at and store_key aside) and every log's bytes equal
# (bbmirror-log --raw). Then the base directory is imported into A too:
# the import completes the live rows, it must not add a second copy.
. "${top_srcdir:-.}/tests/integration/lib.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
GEN="$top_srcdir/bench/gen-events.py"
DUMP="$top_srcdir/tests/integration/dump-db.py"
MASTER=livemaster

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
[ -x "$DAEMON" ] || skip_all "bbmirrord is not built"
[ -x "$REPLAY" ] || skip_all "bbmirror-replay is not built"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is missing"
"$PYTHON3" "$GEN" --help 2>&1 | grep -q -e '--pickles' ||
    skip_all "bench/gen-events.py has no --pickles"

PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T_TMP"' \
    EXIT INT TERM

TABLES="builds steps logs build_properties sourcestamps changes change_files
change_properties build_changes sourcestamp_changes"

# dump DB LOGSTORE OUT: the compared tables of DB, canonically.
dump() {
	_only=
	for _t in $TABLES; do
		_only="$_only --only $_t"
	done
	# shellcheck disable=SC2086
	"$PYTHON3" "$DUMP" $_only --exclude origin --exclude store_key \
	    --logs "$LOGCAT" --logstore "$2" "$1" >"$3" 2>"$3.err"
	_st=$?
	sed 's/^/#   /' "$3.err" | head -n 5
	return $_st
}

# compare A B WHAT: one result per table and one for the whole dump.
compare() {
	for _t in $TABLES; do
		grep "^$_t: " "$1" >"$1.$_t"
		grep "^$_t: " "$2" >"$2.$_t"
		cmp -s "$1.$_t" "$2.$_t"
		ok $? "$3: $_t rows equal ($(wc -l <"$1.$_t") / $(wc -l <"$2.$_t"))"
		diff "$1.$_t" "$2.$_t" | head -n 6 | cut -c1-400 | sed 's/^/#   /'
	done
}

# 40 builds: every outcome (exceptions and lost slaves are 1 in 20), HTML
# logs, and with --big-every 5 a few single log calls over 1 MB.
"$PYTHON3" "$GEN" --builds 40 --big-every 5 --master "$MASTER" \
    --out "$T_TMP/rec" --pickles "$T_TMP/$MASTER" >"$T_TMP/gen.out" 2>&1
ok $? "recording and base directory generated: $(head -n 1 "$T_TMP/gen.out")"

# A: live.
rm -f "$T_TMP/a.sock"
"$DAEMON" --db "$T_TMP/a.sqlite" --logstore "$T_TMP/a.store" \
    --socket "$T_TMP/a.sock" 2>"$T_TMP/a.log" &
dpid=$!
PIDS="$PIDS $dpid"
i=0
while [ ! -S "$T_TMP/a.sock" ] && [ $i -lt 400 ] && kill -0 $dpid 2>/dev/null
do
	i=$((i + 1))
	sleep 0.05
done
"$REPLAY" --socket "$T_TMP/a.sock" --stats "$T_TMP/rec" >"$T_TMP/replay.out" 2>&1
ok $? "replayed into A through bbmirrord: $(tail -n 1 "$T_TMP/replay.out")"
kill -TERM $dpid
wait $dpid
is $? 0 "bbmirrord exits 0 on SIGTERM"

# B: imported.
"$IMPORT" --db "$T_TMP/b.sqlite" --logstore "$T_TMP/b.store" -m "$MASTER" \
    --quiet "$T_TMP/$MASTER" 2>"$T_TMP/import-b.err"
ok $? "base directory imported into B"
sed 's/^/#   /' "$T_TMP/import-b.err" | head -n 5

dump "$T_TMP/a.sqlite" "$T_TMP/a.store" "$T_TMP/a.dump"
ok $? "A dumped"
dump "$T_TMP/b.sqlite" "$T_TMP/b.store" "$T_TMP/b.dump"
ok $? "B dumped"
n=$(grep -c '^builds: ' "$T_TMP/b.dump")
[ "$n" -gt 0 ]
ok $? "B has builds ($n)"
n=$(grep -c 'content=[0-9]' "$T_TMP/b.dump")
[ "$n" -gt 0 ]
ok $? "B has logs with content ($n)"
echo "# builds by result: $(q "$T_TMP/b.sqlite" "SELECT coalesce(results, -1) ||
    ':' || count(*) FROM builds GROUP BY results" | tr '\n' ' ')"
echo "# logs by kind: $(q "$T_TMP/b.sqlite" "SELECT kind || ':' || count(*) ||
    ' max ' || max(text_bytes) FROM logs GROUP BY kind" | tr '\n' ' ')"
compare "$T_TMP/a.dump" "$T_TMP/b.dump" "live A vs imported B"
cmp -s "$T_TMP/a.dump" "$T_TMP/b.dump"
ok $? "live A and imported B identical, log bytes included"

# The import on top of the live rows.
q "$T_TMP/a.sqlite" "SELECT count(*) FROM builds" >"$T_TMP/a.builds"
"$IMPORT" --db "$T_TMP/a.sqlite" --logstore "$T_TMP/a.store" -m "$MASTER" \
    --quiet "$T_TMP/$MASTER" 2>"$T_TMP/import-a.err"
ok $? "base directory imported into A on top of the live rows"
sed 's/^/#   /' "$T_TMP/import-a.err" | head -n 5
is "$(q "$T_TMP/a.sqlite" "SELECT count(*) FROM builds")" "$(cat "$T_TMP/a.builds")" \
    "no build added by the import"
dump "$T_TMP/a.sqlite" "$T_TMP/a.store" "$T_TMP/a2.dump"
ok $? "A dumped again"
compare "$T_TMP/a2.dump" "$T_TMP/b.dump" "live+import A vs imported B"
cmp -s "$T_TMP/a2.dump" "$T_TMP/b.dump"
ok $? "A after the import still identical to B, log bytes included"
is "$(q "$T_TMP/a.sqlite" "SELECT count(*) FROM (SELECT builder_id, number,
    started_at FROM builds GROUP BY 1, 2, 3 HAVING count(*) > 1)")" 0 \
    "no build twice in A"

done_testing
