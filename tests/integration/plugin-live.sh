#!/bin/sh
# plugin-live.sh: the master-side plugin against the real bbmirrord. A fake
# Buildbot 0.8.12 master (tests/plugin/fakemaster.py, driven by
# tests/plugin/live_driver.py) runs builds with the plugin connected to a
# bbmirrord on a private UNIX socket; the rows must match what the master
# did, log contents byte for byte its log files. Then the listener is
# stopped in the middle of a build, the master goes on (the plugin spools),
# the listener is started again, and nothing may be lost or duplicated.
# Finally the master's own files (build pickles and logs) are imported with
# bbmirror-import into a second database, whose rows must equal the live
# ones.
#
# BBM_LIVE_SOCKET, BBM_LIVE_DB, BBM_LIVE_LOGSTORE: use an already running
# bbmirrord instead (the stop/restart part is then skipped).
. "${top_srcdir:-.}/tests/integration/lib.sh"

DAEMON="$top_builddir/bbmirrord"
DRIVER="$top_srcdir/tests/plugin/live_driver.py"
CHECK="$top_srcdir/tests/plugin/live_check.py"
STATE="$T_TMP/state"
BASE="$T_TMP/master"
SPOOL="$T_TMP/spool"
MASTER="fake-master-$$"
mkdir -p "$STATE"

"$PYTHON3" -c 'import sqlite3' 2>/dev/null || skip_all "no $PYTHON3"
if [ -n "${BBM_LIVE_SOCKET:-}" ]; then
	SOCK=$BBM_LIVE_SOCKET
	DB=${BBM_LIVE_DB:?must name the database of that daemon}
	LS=${BBM_LIVE_LOGSTORE:?must name the log store of that daemon}
	OWN_DAEMON=no
else
	[ -x "$DAEMON" ] || skip_all "bbmirrord is not built"
	SOCK="$T_TMP/bbmirrord.sock"
	DB="$T_TMP/live.sqlite"
	LS="$T_TMP/logstore"
	OWN_DAEMON=yes
fi

daemon_pid=
driver_pid=
cleanup() {
	[ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_daemon: bbmirrord in the background; waits for its socket.
start_daemon() {
	rm -f "$SOCK"
	"$DAEMON" --db "$DB" --logstore "$LS" --socket "$SOCK" \
	    --commit-ms 5 >>"$T_TMP/daemon.log" 2>&1 &
	daemon_pid=$!
	n=0
	while [ ! -S "$SOCK" ] && [ $n -lt 200 ]; do
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
		n=$((n + 1))
	done
	[ -S "$SOCK" ]
}

# stop_daemon: SIGTERM (commit, acknowledge, exit); its exit status.
stop_daemon() {
	kill "$daemon_pid"
	wait "$daemon_pid"
	st=$?
	daemon_pid=
	return $st
}

# wait_for NAME: waits for STATE/NAME.done while the driver runs.
wait_for() {
	n=0
	while [ ! -f "$STATE/$1.done" ]; do
		if ! kill -0 "$driver_pid" 2>/dev/null; then
			echo "# the driver exited before $1"
			return 1
		fi
		n=$((n + 1))
		[ $n -lt 2400 ] || return 1
		sleep 0.05
	done
}

# check_rows MANIFEST LABEL [DB LOGSTORE]: live_check.py's lines as TAP.
check_rows() {
	"$PYTHON3" "$CHECK" rows "${3:-$DB}" "${4:-$LS}" "$LOGCAT" "$1" \
	    >"$T_TMP/check" ||
	    echo "live_check.py failed		live_check.py ran" >>"$T_TMP/check"
	while IFS="	" read -r got want name; do
		is "$got" "$want" "$2: $name"
	done <"$T_TMP/check"
}

json() {	# json FILE KEY
	"$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

if [ "$OWN_DAEMON" = yes ]; then
	start_daemon
	ok $? "bbmirrord listens on $SOCK"
fi

"$PYTHON3" "$DRIVER" --basedir "$BASE" --socket "$SOCK" --spool "$SPOOL" \
    --state "$STATE" --master "$MASTER" --builds1 8 --builds2 8 \
    --pause 150 --compress-limit 4096 2>"$T_TMP/driver.log" &
driver_pid=$!

# Phase 1: builds with the listener up.
wait_for phase1
ok $? "phase 1: the master ran 8 builds and every event was acknowledged"
check_rows "$STATE/phase1.json" "phase 1"
is "$(json "$STATE/phase1.json" segments)" 1 \
    "phase 1: acknowledged spool segments were deleted"

# Phase 2: stop the listener in the middle of a build.
touch "$STATE/phase2.go"
wait_for pause
ok $? "phase 2: paused in the middle of the builds"
running=$(q "$DB" "SELECT count(*) FROM builds b JOIN builders bl ON
    bl.id = b.builder_id JOIN masters m ON m.id = bl.master_id
    WHERE m.name = '$MASTER' AND b.complete = 0")
ok $(( running >= 1 ? 0 : 1 )) "phase 2: a running build is in the mirror ($running)"
if [ "$OWN_DAEMON" = yes ]; then
	stop_daemon
	is $? 0 "bbmirrord stopped with SIGTERM exits 0"
fi
before=$(q "$DB" "SELECT last_seq FROM live_masters l JOIN masters m ON
    m.id = l.master_id WHERE m.name = '$MASTER'")
touch "$STATE/pause.go"
wait_for phase2
ok $? "phase 2: the master ran 8 more builds"
events=$(json "$STATE/phase2.json" events)
acked=$(json "$STATE/phase2.json" acked)
if [ "$OWN_DAEMON" = yes ]; then
	ok $(( acked < events ? 0 : 1 )) \
	    "listener down: events $((acked + 1))..$events wait in the spool"
	ok $(( $(ls "$SPOOL" | grep -c '\.spool$') >= 1 ? 0 : 1 )) \
	    "listener down: spool segments on disk"
	is "$(q "$DB" "SELECT last_seq FROM live_masters l JOIN masters m ON
	    m.id = l.master_id WHERE m.name = '$MASTER'")" "$before" \
	    "listener down: nothing reached the database"
	start_daemon
	ok $? "bbmirrord started again"
fi

# Phase 3: the plugin reconnects and catches up.
touch "$STATE/phase3.go"
wait_for final
ok $? "phase 3: every spooled event was acknowledged"
wait "$driver_pid"
is $? 0 "the driver exited 0"
driver_pid=
is "$(json "$STATE/final.json" problems)|$(json "$STATE/final.json" errors)" \
    "0|0" "the plugin reported no problem, the master saw no exception"
check_rows "$STATE/final.json" "final"

# The same builds imported from the master's files.
"$IMPORT" --quiet --db "$T_TMP/import.sqlite" --logstore "$T_TMP/import.ls" \
    --master "$MASTER" "$BASE" >"$T_TMP/import.log" 2>&1
is $? 0 "bbmirror-import reads the fake master's pickles and logs"
"$PYTHON3" "$CHECK" compare "$DB" "$T_TMP/import.sqlite" "$MASTER" \
    >"$T_TMP/check"
while IFS="	" read -r got want name; do
	is "$got" "$want" "$name"
done <"$T_TMP/check"

if [ "$OWN_DAEMON" = yes ]; then
	stop_daemon
	is $? 0 "bbmirrord exits 0"
	dup=$(grep -c ' [1-9][0-9]* failed' "$T_TMP/daemon.log")
	is "$dup" 0 "bbmirrord applied every event without failure"
fi

# Over TCP: the token is checked, and the same events arrive.
if [ "$OWN_DAEMON" = yes ]; then
	port=$("$PYTHON3" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	echo "the secret" >"$T_TMP/token"
	"$DAEMON" --db "$T_TMP/tcp.sqlite" --logstore "$T_TMP/tcp.ls" \
	    --socket none --tcp "127.0.0.1:$port" --token-file "$T_TMP/token" \
	    --commit-ms 5 >>"$T_TMP/daemon.log" 2>&1 &
	daemon_pid=$!
	n=0
	until "$PYTHON3" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
	    "$port" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 200 ] && kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
	done
	mkdir -p "$T_TMP/tcp-bad" "$T_TMP/tcp-good"
	"$PYTHON3" "$DRIVER" --once --basedir "$T_TMP/tcp-bad/master" \
	    --tcp "127.0.0.1:$port" --token "wrong" --spool "$T_TMP/tcp-bad/spool" \
	    --state "$T_TMP/tcp-bad" --master tcp-master --builds1 1 \
	    --timeout 3 2>>"$T_TMP/driver.log"
	is $? 1 "TCP with a wrong token: nothing is acknowledged"
	grep -q "bad token" "$T_TMP/tcp-bad/log.txt"
	ok $? "TCP with a wrong token: the plugin logs the listener's error"
	"$PYTHON3" "$DRIVER" --once --basedir "$T_TMP/tcp-good/master" \
	    --tcp "127.0.0.1:$port" --token "the secret" \
	    --spool "$T_TMP/tcp-good/spool" --state "$T_TMP/tcp-good" \
	    --master tcp-master --builds1 3 2>>"$T_TMP/driver.log"
	is $? 0 "TCP with the token: every event acknowledged"
	check_rows "$T_TMP/tcp-good/final.json" "TCP" "$T_TMP/tcp.sqlite" \
	    "$T_TMP/tcp.ls"
	stop_daemon
	is $? 0 "the TCP bbmirrord exits 0"
fi

if [ "$T_FAILED" -ne 0 ]; then
	sed 's/^/# daemon: /' "$T_TMP/daemon.log" 2>/dev/null | tail -20
	sed 's/^/# driver: /' "$T_TMP/driver.log" | tail -20
fi
done_testing
