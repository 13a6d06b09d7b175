# lib.sh: shared by the integration tests (sourced). TAP output, a private
# temporary directory removed on exit, fixture unpacking, SQL helpers.
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
