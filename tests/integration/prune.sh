#!/bin/sh
# bbmirrord's log pruner against the real daemon: bad pruning options are
# refused; without limits nothing is pruned; --log-max-age with a keep rule
# turns the logs of old builds into tombstones (failures kept) while a
# second master's replay runs and completes; bbmirror-log says a pruned log
# was pruned; --log-max-total-size prunes the oldest builds first; once the
# grace period has passed the content is removed and the log store's disk
# usage shrinks; the database passes PRAGMA integrity_check.
#
# The recordings come from bench/gen-events.py, whose fake master's clock
# starts a year before this was written, so every build in them is older
# than 30 days. The grace period (60 s) makes this test wait about a
# minute. BBMIRRORD_WRAPPER runs the daemons under a tool (valgrind).
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
GEN="$top_srcdir/bench/gen-events.py"
[ -f "$GEN" ] || skip_all "bench/gen-events.py is not there"
daemon_init
S="$T_TMP/d.sock"
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/ls"

# wait_for SECONDS SQL WANT: polls the database until SQL gives WANT.
wait_for() {
	n=$(($1 * 10))
	i=0
	while [ $i -lt $n ]; do
		[ "$(q "$DB" "$2")" = "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# runs NAME: how many pruner runs daemon NAME has finished.
runs() {
	grep -c "pruner: run [0-9]* done" "$T_TMP/$1.err"
}

# wait_runs NAME N: waits (at most 60 s) until daemon NAME finished N runs.
wait_runs() {
	i=0
	while [ $i -lt 600 ]; do
		[ "$(runs "$1")" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

du_bytes() {
	du -s -B1 "$LS" | cut -f1
}

# Logs of master :m; the build of each and whether it finished.
L="FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders r ON r.id = b.builder_id JOIN masters m ON m.id = r.master_id"
mq() {		# mq MASTER SQL-WITH-:m
	q "$DB" "$(printf '%s' "$2" | sed "s/:m/'$1'/g")"
}
PRUNABLE="SELECT count(*) $L WHERE m.name = :m AND l.state = 'stored' AND b.finished_at IS NOT NULL AND coalesce(b.results, -1) NOT IN (0, 2) AND NOT EXISTS (SELECT 1 FROM live_logs ll WHERE ll.log_id = l.id)"
PRUNED="SELECT count(*) $L WHERE m.name = :m AND l.state = 'pruned'"

# --- options ----------------------------------------------------------------
daemon_bad_opt '--log-max-age: "30x": unknown unit "x"' --log-max-age 30x
daemon_bad_opt '--log-max-total-size: "lots": not a size' --log-max-total-size lots
daemon_bad_opt '--log-keep: "failur=90d": unknown result "failur"' --log-keep failur=90d
daemon_bad_opt '--log-keep: "failure=1d": failure has a rule already' \
	--log-keep failure=2d,failure=1d
"$D" --help 2>&1 | grep -q -- "--log-keep RULES"
ok $? "--help lists --log-keep"

# --- the recordings -----------------------------------------------------------
"$PYTHON3" "$GEN" --builds 40 --seed 1 --log-bytes 100000 --out "$T_TMP/r1.bin" >"$T_TMP/gen1.out" 2>&1
ok $? "recording 1: $(cat "$T_TMP/gen1.out")"
"$PYTHON3" "$GEN" --builds 60 --seed 2 --out "$T_TMP/r2.bin" >"$T_TMP/gen2.out" 2>&1
ok $? "recording 2: $(cat "$T_TMP/gen2.out")"

# A third master whose recording stops inside a build: a build running
# since a year ago, with a log being written (a live_logs row).
"$PYTHON3" - "$top_srcdir/tests/data/frames" "$T_TMP/r1.bin" "$T_TMP/cut.bin" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import msgpack_mini as mp
out, n = [], 0
for off, payload in mp.frames(open(sys.argv[2], "rb").read()):
    out.append(mp.frame(payload))
    if mp.unpack(payload).get("event") == "logChunk":
        n += 1
        if n == 6:
            break
open(sys.argv[3], "wb").write(b"".join(out))
PYEOF
ok $? "a recording cut inside a running log"

# --- no limits: nothing is pruned -----------------------------------------------
daemon_start plain -s "$S" -d "$DB" -l "$LS" --prune-interval 1 -v
ok $? "daemon without limits, pruning every second"
"$R" -s "$S" -m old -q "$T_TMP/r1.bin"
is "$?" "0" "recording 1 replayed"
"$R" -s "$S" -m cut -q "$T_TMP/cut.bin"
is "$?" "0" "the cut recording replayed"
running=$(mq cut "SELECT count(*) $L WHERE m.name = :m AND b.finished_at IS NULL")
live=$(q "$DB" "SELECT count(*) FROM live_logs")
[ "$running" -gt 0 ] && [ "$live" -gt 0 ]
ok $? "$running logs of running builds, $live of them still being written"
wait_runs plain 2
ok $? "the pruner ran: $(grep "pruner: run" "$T_TMP/plain.err" | tail -1 | sed 's/.*pruner: //')"
is "$(mq old "$PRUNED")" "0" "without limits no log is pruned"
daemon_stop "$DPID"
is "$?" "0" "SIGTERM: exit 0"

prunable=$(mq old "$PRUNABLE")
kept=$(mq old "SELECT count(*) $L WHERE m.name = :m AND l.state = 'stored' AND b.results IN (0, 2)")
[ "$prunable" -gt 0 ] && [ "$kept" -gt 0 ]
ok $? "recording 1: $prunable logs of old builds, $kept of successful or failed ones"
pid=$(mq old "SELECT min(l.id) $L WHERE m.name = :m AND l.state = 'stored' AND b.finished_at IS NOT NULL AND b.results = 1")
kid=$(mq old "SELECT min(l.id) $L WHERE m.name = :m AND l.state = 'stored' AND b.results = 2")
"$LOGCAT" -d "$DB" -l "$LS" "$pid" >"$T_TMP/before.txt" 2>/dev/null
is "$?" "0" "log $pid reads back before pruning"

# --- age with a keep rule, while another master's replay runs -------------------
t0=$(date +%s)
daemon_start age -s "$S" -d "$DB" -l "$LS" --prune-interval 1 -v \
	--log-max-age 30d --log-keep failure=forever,success=0
ok $? "daemon with --log-max-age 30d --log-keep failure=forever,success=0"
"$R" -s "$S" -m new -r 1000 --stats "$T_TMP/r2.bin" >"$T_TMP/r2.json" 2>"$T_TMP/r2.err" &
rp=$!
wait_for 30 "$(printf '%s' "$PRUNED" | sed "s/:m/'old'/")" "$prunable"
ok $? "every old log of recording 1 becomes a tombstone"
if kill -0 $rp 2>/dev/null; then
	echo "# the replay of recording 2 was still running then"
else
	echo "# the replay of recording 2 had already finished then"
fi
wait $rp
is "$?" "0" "the concurrent replay completes"
last=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_seq"])' "$T_TMP/r2.json")
is "$(mq new "SELECT last_seq FROM live_masters l JOIN masters m ON m.id = l.master_id WHERE m.name = :m")" \
	"$last" "every event of it is committed (last_seq $last)"
wait_for 30 "$(printf '%s' "$PRUNABLE" | sed "s/:m/'new'/")" "0"
ok $? "its old builds' logs are pruned too, once finished"

is "$(mq old "SELECT count(*) $L WHERE m.name = :m AND l.state = 'stored' AND b.results IN (0, 2)")" \
	"$kept" "the successful and failed builds' logs are kept"
is "$(q "$DB" "SELECT count(*) FROM logs WHERE state = 'pruned' AND (pruned_at IS NULL OR pruned_at < $t0 - 1 OR store_key IS NOT NULL)")" \
	"0" "tombstones: pruned_at set, no store_key"
is "$(q "$DB" "SELECT count(*) $L WHERE l.state = 'pruned' AND b.finished_at IS NULL"):$(mq cut "SELECT count(*) $L WHERE m.name = :m AND b.finished_at IS NULL")" \
	"0:$running" "no log of a running build is pruned"
is "$(q "$DB" "SELECT count(*) FROM logs l JOIN live_logs ll ON ll.log_id = l.id WHERE l.state = 'pruned'")" \
	"0" "no running log is pruned"
is "$(q "$DB" "SELECT stored_bytes > 0 AND text_bytes > 0 FROM logs WHERE id = $pid")" "1" \
	"a tombstone keeps its counts"
"$LOGCAT" -d "$DB" -l "$LS" "$pid" >"$T_TMP/pruned.txt" 2>"$T_TMP/pruned.err"
is "$?" "1" "bbmirror-log on a pruned log: exit 1"
grep -q "pruned" "$T_TMP/pruned.err"
ok $? "... saying it was pruned: $(cat "$T_TMP/pruned.err")"
"$LOGCAT" -d "$DB" -l "$LS" "$kid" >/dev/null 2>&1
is "$?" "0" "bbmirror-log reads a kept log"
grep "pruner: run [0-9]* done: [1-9]" "$T_TMP/age.err" | sed 's/^.*pruner: /# /'
grep -q "pruner: run [0-9]* done: [1-9][0-9]* logs pruned ([1-9][0-9]* by age" "$T_TMP/age.err"
ok $? "the run's summary is logged at --verbose"
daemon_stop "$DPID"
is "$?" "0" "SIGTERM: exit 0"

# --- a size limit: the oldest builds go first ---------------------------------
# What the pruner counts: the blocks on disk less the keys waiting in
# log_garbage (compressed sizes); the limit asks for half of what is stored.
du0=$(du_bytes)
sizes=$("$PYTHON3" - "$DB" "$LS" <<'PYEOF'
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
def size(key):
    if key.startswith("p/"):
        return int(key.rsplit("-", 1)[1])
    try:
        return os.stat(os.path.join(sys.argv[2], key + ".zst")).st_size
    except OSError:
        return 0
stored = sum(size(k) for (k,) in con.execute(
    "SELECT store_key FROM logs WHERE state = 'stored'"))
waiting = sum(size(k) for (k,) in con.execute(
    "SELECT store_key FROM log_garbage"))
print(stored, waiting)
PYEOF
)
stored=${sizes% *}
waiting=${sizes#* }
limit=$((du0 - waiting - stored / 2))
echo "# before the size limit: $du0 bytes on disk, $waiting in $(q "$DB" "SELECT count(*) FROM log_garbage") keys waiting in log_garbage, $stored stored"
nstored=$(q "$DB" "SELECT count(*) FROM logs WHERE state = 'stored'")
t1=$(date +%s)
daemon_start size -s "$S" -d "$DB" -l "$LS" --prune-interval 1 -v \
	--log-max-total-size "$limit"
ok $? "daemon with --log-max-total-size $limit"
wait_runs size 2
ok $? "two runs done"
bysize=$(q "$DB" "SELECT count(*) FROM logs WHERE state = 'pruned' AND pruned_at >= $t1 - 1")
left=$(q "$DB" "SELECT count(*) FROM logs WHERE state = 'stored'")
[ "$bysize" -gt 0 ] && [ "$left" -gt 0 ]
ok $? "$bysize of $nstored logs pruned by size, $left left"
is "$(q "$DB" "SELECT (SELECT max(b.finished_at) $L WHERE l.state = 'pruned' AND l.pruned_at >= $t1 - 1) <= (SELECT min(b.finished_at) $L WHERE l.state = 'stored' AND b.finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM live_logs ll WHERE ll.log_id = l.id))")" \
	"1" "the builds that finished first went first"
grep "pruner: run [0-9]* done: [1-9]" "$T_TMP/size.err" | sed 's/^.*pruner: /# /'

# The grace period: content goes once its garbage row is a minute old
# (the size limit may prune a little more once blocks are really freed).
wait_for 100 "SELECT count(*) FROM log_garbage WHERE since <= $t1 + 5" "0"
ok $? "the garbage keys of the runs so far are collected after the grace period"
wait_runs size $(($(runs size) + 1))
du1=$(du_bytes)
[ "$du1" -lt "$du0" ]
ok $? "the log store's disk usage shrank: $du0 -> $du1 bytes"
echo "# limit $limit bytes; $(grep -c "pruner: run" "$T_TMP/size.err") runs"
grep "pruner: run [0-9]* done: .*[1-9][0-9]* garbage keys" "$T_TMP/size.err" | sed 's/^.*pruner: /# /'
"$LOGCAT" -d "$DB" -l "$LS" "$pid" >/dev/null 2>&1
is "$?" "1" "the pruned log still says pruned"
is "$(q "$DB" "PRAGMA integrity_check")" "ok" "PRAGMA integrity_check: ok"
daemon_stop "$DPID"
is "$?" "0" "SIGTERM: exit 0"
no_reports "no sanitizer reports"
done_testing
