#!/bin/sh
# Bad input on the wire: the corpus of tests/data/frames/make-corpus.py
# (broken framing, payloads that are not one msgpack map, bad hellos,
# wrong-typed or missing keys, invalid UTF-8, deep nesting, huge declared
# lengths, unknown event names) is sent to a running bbmirrord, one
# connection per case, while well-behaved clients keep going on other
# connections. Each bad input must get an error frame naming the problem
# and a close (unknown event names: an ack), the daemon must stay up, the
# good events sent before it must be committed and nothing of it written;
# the well-behaved connections must not notice (their rows are compared
# with those of the same recording replayed into a daemon of its own).
#
# BBM_DAEMON_SOCKET, BBM_DAEMON_DB and BBM_DAEMON_PID point the corpus at
# an already running daemon instead (BBM_DAEMON_MAX_FRAME: its
# --max-frame, default 16 MiB); the replay comparison is then skipped.
. "${top_srcdir:-.}/tests/integration/lib.sh"

DAEMON="$top_builddir/bbmirrord"
REPLAY="$top_builddir/bbmirror-replay"
FRAMES="$top_srcdir/tests/data/frames"
DUMP="$top_srcdir/tests/integration/dump-db.py"
GEN="$top_srcdir/bench/gen-events.py"

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
[ -x "$DAEMON" ] || skip_all "bbmirrord is not built"

PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T_TMP"' \
    EXIT INT TERM

# start_daemon NAME [ARGS...]: bbmirrord on $T_TMP/NAME.{sqlite,logstore,
# sock}, stderr in $T_TMP/NAME.log; waits for its socket; pid in $dpid.
start_daemon() {
	_n=$1
	shift
	rm -f "$T_TMP/$_n.sock"
	"$DAEMON" --db "$T_TMP/$_n.sqlite" --logstore "$T_TMP/$_n.logstore" \
	    --socket "$T_TMP/$_n.sock" "$@" 2>>"$T_TMP/$_n.log" &
	dpid=$!
	PIDS="$PIDS $dpid"
	_i=0
	while [ ! -S "$T_TMP/$_n.sock" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 300 ] || ! kill -0 $dpid 2>/dev/null; then
			echo "# bbmirrord $_n did not start:"
			sed 's/^/#   /' "$T_TMP/$_n.log" | tail -n 20
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# stop_daemon PID NAME: SIGTERM, then its exit status in $dst.
stop_daemon() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	dst=$?
	if [ "$dst" -ne 0 ]; then
		sed 's/^/#   /' "$T_TMP/$2.log" | tail -n 20
	fi
}

# tap_from FILE: copies the "ok - ..." / "not ok - ..." lines of FILE as
# numbered TAP results, and its comments.
tap_from() {
	while IFS= read -r _line; do
		case $_line in
		"ok - "*) ok 0 "${_line#ok - }" ;;
		"not ok - "*) ok 1 "${_line#not ok - }" ;;
		*) echo "$_line" ;;
		esac
	done <"$1"
}

MAX=1048576
"$PYTHON3" "$FRAMES/make-corpus.py" --max-frame "${BBM_DAEMON_MAX_FRAME:-$MAX}" \
    "$T_TMP/corpus" >"$T_TMP/gen.out" 2>&1
ok $? "corpus generated: $(cat "$T_TMP/gen.out")"

if [ -n "${BBM_DAEMON_SOCKET:-}" ]; then
	SOCK=$BBM_DAEMON_SOCKET
	DB=$BBM_DAEMON_DB
	pid=$BBM_DAEMON_PID
	replay=0
else
	if ! start_daemon d --max-frame $MAX --commit-ms 20; then
		ok 1 "bbmirrord started"
		done_testing
		exit 1
	fi
	ok 0 "bbmirrord started"
	SOCK=$T_TMP/d.sock
	DB=$T_TMP/d.sqlite
	pid=$dpid
	replay=0
	[ -f "$GEN" ] && [ -x "$REPLAY" ] && replay=1
fi

# A realistic recording replayed, paced, on a connection of its own for
# the whole run: builds, steps, logs going in while the corpus is sent.
if [ $replay = 1 ]; then
	"$PYTHON3" "$GEN" --builds 30 --out "$T_TMP/rec" --master steady-replay \
	    >"$T_TMP/gen-events.out" 2>&1
	ok $? "recording generated: $(head -n 1 "$T_TMP/gen-events.out")"
	"$REPLAY" --socket "$SOCK" --rate 300 -m steady-replay "$T_TMP/rec" \
	    >"$T_TMP/replay.out" 2>&1 &
	rpid=$!
	PIDS="$PIDS $rpid"
else
	echo "# bench/gen-events.py or bbmirror-replay missing: no replay alongside"
fi

"$PYTHON3" "$FRAMES/check-corpus.py" --socket "$SOCK" --db "$DB" \
    --pid "$pid" "$T_TMP/corpus" >"$T_TMP/check.out" 2>&1
tap_from "$T_TMP/check.out"

if [ $replay = 1 ]; then
	wait $rpid
	st=$?
	ok $st "the replay alongside the corpus completed (status $st)"
	[ $st -eq 0 ] || sed 's/^/#   /' "$T_TMP/replay.out" | tail -n 10
	start_daemon ref --commit-ms 20 &&
	    "$REPLAY" --socket "$T_TMP/ref.sock" -m steady-replay "$T_TMP/rec" \
	    >"$T_TMP/replay-ref.out" 2>&1
	ok $? "the same recording replayed alone into a daemon of its own"
	stop_daemon $dpid ref
	# The reference daemon is stopped; the corpus one still runs, so its
	# database is read while open (WAL readers are fine).
	for w in d ref; do
		"$PYTHON3" "$DUMP" --exclude store_key --master steady-replay --logs "$LOGCAT" \
		    --logstore "$T_TMP/$w.logstore" "$T_TMP/$w.sqlite" \
		    >"$T_TMP/$w.dump" 2>"$T_TMP/$w.dump.err" ||
		    sed 's/^/#   /' "$T_TMP/$w.dump.err"
	done
	n=$(wc -l <"$T_TMP/ref.dump")
	[ "$n" -gt 0 ] && cmp -s "$T_TMP/d.dump" "$T_TMP/ref.dump"
	ok $? "its rows and logs are those of the undisturbed replay ($n rows)"
	diff "$T_TMP/ref.dump" "$T_TMP/d.dump" | head -n 10 | cut -c1-300 |
	    sed 's/^/#   /'
fi

if [ -z "${BBM_DAEMON_SOCKET:-}" ]; then
	hwm=$(awk '/^VmHWM/ { print $2, $3 }' /proc/$pid/status 2>/dev/null)
	echo "# daemon peak RSS after the corpus: ${hwm:-unknown}"
	stop_daemon $pid d
	is "$dst" 0 "bbmirrord exits 0 on SIGTERM after the corpus"
	if grep -q -i -e 'sanitizer' -e 'runtime error' "$T_TMP/d.log"; then
		ok 1 "no sanitizer report in the daemon's log"
		grep -i -A 5 -e 'sanitizer' -e 'runtime error' "$T_TMP/d.log" |
		    head -n 20 | sed 's/^/#   /'
	fi
fi

done_testing
