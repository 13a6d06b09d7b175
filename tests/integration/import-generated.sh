#!/bin/sh
# Round trip: generate a master in each supported format with the project's
# generator, import it, and compare every row and every log's bytes with the
# generator's manifest. Then check that a second run imports nothing and that
# --jobs 1 and --jobs 3 give the same rows.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed to generate masters"
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/logstore"
for v in 0.7.5 0.7.12 0.8.2 0.8.7; do
	M="$T_TMP/m-$v"
	"$PYTHON3" "$top_srcdir/bench/gen-master.py" --version "$v" --builders 3 \
		--builds 9 --seed 5 --jobs 1 --manifest "$M.json" "$M" >/dev/null
	ok $? "$v: generated"
	"$IMPORT" --db "$DB" --logstore "$LS" --quiet "$M" 2>"$T_TMP/err"
	st=$?
	# The planted defects (pruned logs, a crashed build) may be reported;
	# anything else is a failure.
	[ "$st" -le 1 ] && ! grep -v -e 'ends inside a chunk' "$T_TMP/err" | grep -q .
	ok $? "$v: imported (status $st)"
	sed 's/^/# /' "$T_TMP/err" | head -5
	T_N=$((T_N + 1))
	"$PYTHON3" "$top_srcdir/tests/integration/check-manifest.py" "$DB" "$LS" \
		"$M.json" "$LOGCAT" "m-$v" | sed "s/^\(not \)\{0,1\}ok -/&/;s/^ok -/ok $T_N -/;s/^not ok -/not ok $T_N -/" >"$T_TMP/cmp"
	cat "$T_TMP/cmp"
	grep -q "^not ok" "$T_TMP/cmp" && T_FAILED=$((T_FAILED + 1))
done

counts() {
	q "$DB" "SELECT (SELECT count(*) FROM builds), (SELECT count(*) FROM steps),
	(SELECT count(*) FROM logs), (SELECT count(*) FROM build_properties),
	(SELECT count(*) FROM changes), (SELECT count(*) FROM sourcestamps),
	(SELECT count(*) FROM build_requests), (SELECT count(*) FROM buildrequests)"
}
before=$(counts)
out=$("$IMPORT" --db "$DB" --logstore "$LS" "$T_TMP/m-0.8.7" 2>/dev/null)
case "$out" in *" 0 builds imported"*) r=0 ;; *) r=1; echo "# $out" ;; esac
ok $r "second run imports nothing"
is "$(counts)" "$before" "second run changes no row"

# Thread count must not change the result.
"$IMPORT" --db "$T_TMP/j1.sqlite" --logstore "$T_TMP/j1" --jobs 1 --quiet "$T_TMP/m-0.8.2" 2>/dev/null
"$IMPORT" --db "$T_TMP/j3.sqlite" --logstore "$T_TMP/j3" --jobs 3 --quiet "$T_TMP/m-0.8.2" 2>/dev/null
dump() {
	q "$1" "SELECT bl.name, b.number, b.started_at, b.results, b.text, s.number, s.name,
	l.name, l.stored_bytes, l.text_bytes, l.lines, l.state FROM builds b
	JOIN builders bl ON bl.id = b.builder_id LEFT JOIN steps s ON s.build_id = b.id
	LEFT JOIN logs l ON l.step_id = s.id ORDER BY 1, 2, 6, l.number"
}
dump "$T_TMP/j1.sqlite" >"$T_TMP/j1.txt"
dump "$T_TMP/j3.sqlite" >"$T_TMP/j3.txt"
cmp -s "$T_TMP/j1.txt" "$T_TMP/j3.txt"
ok $? "--jobs 1 and --jobs 3 store the same rows ($(wc -l <"$T_TMP/j1.txt") compared)"

done_testing
