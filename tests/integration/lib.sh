# lib.sh: shared by the integration tests (sourced). TAP output, a private
# temporary directory removed on exit, fixture unpacking, SQL helpers; for
# the tests that start daemons, starting and stopping bbmirrord, its HTTP
# port, curl helpers and the check for sanitizer reports.
set -u
T_N=0
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bbm-it.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT INT TERM
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
: "${BBM_FIXTURES:=$top_srcdir/../shared/fixtures}"
IMPORT="$top_builddir/bbmirror-import"
LOGCAT="$top_builddir/bbmirror-log"
PYTHON3=${PYTHON3:-python3}

ok() {		# ok CONDITION-STATUS NAME
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

is() {		# is GOT WANT NAME
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T_N - $3"
	else
		echo "not ok $T_N - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# q DB SQL: one query, rows on lines, columns separated by |.
q() {
	"$PYTHON3" - "$1" "$2" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else (repr(v) if isinstance(v, float) else str(v)) for v in row))
PYEOF
}

# fixture NAME: unpacks $BBM_FIXTURES/NAME.tgz into $T_TMP, prints the dir.
fixture() {
	[ -f "$BBM_FIXTURES/$1.tgz" ] || return 1
	tar xzf "$BBM_FIXTURES/$1.tgz" -C "$T_TMP" || return 1
	echo "$T_TMP/$1"
}

# --- bbmirrord and HTTP ------------------------------------------------------
# For the tests that start daemons: daemon_init once, then daemon_start for
# each daemon. BBMIRRORD_WRAPPER runs them under a tool, for example
# "valgrind --leak-check=full --error-exitcode=3".

# daemon_init: D and R are bbmirrord and bbmirror-replay; every daemon
# started is in PIDS, killed (-9) if the test ends with it still running.
daemon_init() {
	D="$top_builddir/bbmirrord"
	R="$top_builddir/bbmirror-replay"
	PIDS=""
	trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T_TMP"' EXIT
	trap 'exit 1' INT TERM
}

# http_init: daemon_init for the tests that speak HTTP with curl and check
# the answers with python3; skips the test without them.
http_init() {
	command -v curl >/dev/null || skip_all "curl is needed"
	command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed"
	daemon_init
}

# daemon_start NAME ARGS...: starts bbmirrord (stderr to $T_TMP/NAME.err),
# sets DPID, and waits (30 s at most) for its startup line ("listening on",
# or "serving" for --read-only) in $T_TMP/NAME.err, or in the file $LOGW
# names. Fails if the daemon exits first.
daemon_start() {
	name=$1
	shift
	w=${LOGW:-$T_TMP/$name.err}
	${BBMIRRORD_WRAPPER:-} "$D" "$@" 2>"$T_TMP/$name.err" &
	DPID=$!
	PIDS="$PIDS $DPID"
	i=0
	while [ $i -lt 600 ]; do
		grep -q "bbmirrord [0-9.]*: \(listening on\|serving\) " "$w" \
			2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	wait "$DPID" 2>/dev/null
	return 1
}

# http_daemon_start NAME ARGS...: daemon_start, then PORT is the port of
# the http:// address in the daemon's startup line.
http_daemon_start() {
	daemon_start "$@" || return 1
	PORT=$(http_port "$1")
}

# daemon_stop PID: SIGTERM; returns the daemon's exit status.
daemon_stop() {
	kill -TERM "$1"
	wait "$1"
}

# daemon_bad_opt WANT ARGS...: a test that bbmirrord ARGS... exits 2 with
# WANT (a grep pattern) on stderr.
daemon_bad_opt() {
	want=$1
	shift
	"$D" -s "$T_TMP/never.sock" -d "$T_TMP/never.sqlite" -l "$T_TMP/never-ls" "$@" \
		>/dev/null 2>"$T_TMP/bad.err"
	st=$?
	grep -q -- "$want" "$T_TMP/bad.err"
	gr=$?
	[ "$st" -eq 2 ] && [ "$gr" -eq 0 ]
	ok $? "refused ($*): $want"
	[ "$gr" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/bad.err"
}

# http_port NAME: the port of the http:// address in NAME's startup line.
http_port() {
	grep -o "http://[^ /,]*" "$T_TMP/$1.err" | head -n 1 | sed 's/.*://'
}

# free_port: a TCP port nothing listens on (at the time of asking).
free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_get PATH [CURL-ARGS...]: requests http://127.0.0.1:$PORT/PATH (PATH
# starting with a slash; a GET unless CURL-ARGS say otherwise), the body to
# $T_TMP/body and the headers to $T_TMP/hdr; prints the status code.
http_get() {
	p=$1
	shift
	curl -s -o "$T_TMP/body" -D "$T_TMP/hdr" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$PORT$p"
}

# http_header NAME: the value of a header of the response in $T_TMP/hdr.
http_header() {
	tr -d '\r' <"$T_TMP/hdr" | sed -n "s/^$1: //Ip" | head -n 1
}

# no_reports NAME [PATTERN]: a test that no $T_TMP/*.err holds a sanitizer
# report (or a line PATTERN matches, a grep basic regex such as valgrind's
# "Invalid read\|definitely lost"); the lines found become comments.
no_reports() {
	pat="ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error"
	[ -n "${2:-}" ] && pat="$pat\|$2"
	if grep -q "$pat" "$T_TMP"/*.err 2>/dev/null; then
		ok 1 "$1"
		grep -h -A12 "$pat" "$T_TMP"/*.err | head -n 40 | sed 's/^/# /'
	else
		ok 0 "$1"
	fi
}
