#!/bin/sh
# plugin-unit.sh: runs tests/plugin/test_plugin.py (the master-side plugin
# against the fake 0.8.12 master and a fake listener) under Python 2.7 and
# Python 3, as one TAP stream. An interpreter that is not installed is
# reported as a skipped test.
#
# PYTHON2 / PYTHON3 name the interpreters; otherwise python2.7, python2 or
# pyenv's 2.7.x, and python3.
. "${top_srcdir:-.}/tests/integration/lib.sh"

TEST="$top_srcdir/tests/plugin/test_plugin.py"

find_python2() {
	for p in ${PYTHON2:-} python2.7 python2; do
		if "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' \
		    >/dev/null 2>&1; then
			echo "$p"
			return 0
		fi
	done
	if command -v pyenv >/dev/null 2>&1; then
		v=$(pyenv versions --bare 2>/dev/null | grep '^2\.7' | tail -1)
		if [ -n "$v" ] && PYENV_VERSION=$v python -c \
		    'import sys; sys.exit(sys.version_info[:2] != (2, 7))' \
		    >/dev/null 2>&1; then
			echo "env PYENV_VERSION=$v python"
			return 0
		fi
	fi
	return 1
}

# run LABEL COMMAND...: runs the test file, renumbers its TAP lines into
# this stream and checks that it ran its whole plan.
run() {
	label=$1
	shift
	out="$T_TMP/$label.out"
	"$@" "$TEST" >"$out" 2>"$T_TMP/$label.err"
	status=$?
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out")
	count=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			T_N=$((T_N + 1))
			count=$((count + 1))
			echo "ok $T_N ${line#ok [0-9]* }"
			;;
		"not ok "*)
			T_N=$((T_N + 1))
			count=$((count + 1))
			T_FAILED=$((T_FAILED + 1))
			echo "not ok $T_N ${line#not ok [0-9]* }"
			;;
		"#"*)
			echo "$line"
			;;
		esac
	done <"$out"
	sed 's/^/# stderr: /' "$T_TMP/$label.err" | head -40
	ok $(( (status == 0 && count > 0 && count == ${plan:-x}) ? 0 : 1 )) \
	    "$label: test_plugin.py exited $status after $count of ${plan:-?} tests"
}

if py2=$(find_python2); then
	# shellcheck disable=SC2086
	run python2 $py2
else
	T_N=$((T_N + 1))
	echo "ok $T_N # SKIP no Python 2.7 found (PYTHON2, python2.7, pyenv)"
fi

if "$PYTHON3" -c 'import sys; sys.exit(sys.version_info[0] != 3)' \
    >/dev/null 2>&1; then
	run python3 "$PYTHON3"
else
	T_N=$((T_N + 1))
	echo "ok $T_N # SKIP no Python 3 found ($PYTHON3)"
fi

done_testing
