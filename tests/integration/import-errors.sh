#!/bin/sh
# Bad input: every bad file is reported with its path (and offset/opcode for
# pickles) and skipped, everything good is imported, nothing is half-written,
# and command-line mistakes give exit status 2 with a clear message.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$PYTHON3" >/dev/null || skip_all "python3 is needed to generate a master"
M="$T_TMP/master"
"$PYTHON3" "$top_srcdir/bench/gen-master.py" --version 0.8.2 --builders 1 \
	--builds 8 --compress bz2 --seed 11 "$M" >/dev/null
ok $? "generated a master"
bdir=$(dirname "$(find "$M" -type f -regex '.*/[0-9]+' | head -1)")
# Never corrupt anything outside the generated master.
case "$bdir" in "$M"/*) ;; *) echo "Bail out! no builder directory in $M"; exit 1 ;; esac

# A clean import of the same master, for comparison.
"$IMPORT" --db "$T_TMP/clean.sqlite" --logstore "$T_TMP/clean-ls" --quiet "$M" 2>/dev/null
total=$(q "$T_TMP/clean.sqlite" "SELECT count(*) FROM builds")
[ "$total" -ge 5 ]; ok $? "clean import has at least 5 builds ($total)"
nums=$(q "$T_TMP/clean.sqlite" "SELECT number FROM builds ORDER BY number LIMIT 4" | tr '\n' ' ')
set -- $nums
b_trunc=$1 b_garbage=$2 b_huge=$3 b_badlog=$4

# Corrupt three build pickles and one compressed log.
size=$(wc -c <"$bdir/$b_trunc")
head -c $((size / 2)) "$bdir/$b_trunc" >"$T_TMP/x" && mv "$T_TMP/x" "$bdir/$b_trunc"
printf 'this is not a pickle\n' >"$bdir/$b_garbage"
printf '\200\002T\377\377\377\177abc' >"$bdir/$b_huge"
log=$(ls -S "$bdir/$b_badlog"-log-*.bz2 | head -1)
lsize=$(wc -c <"$log")
head -c $((lsize * 2 / 3)) "$log" >"$T_TMP/x" && mv "$T_TMP/x" "$log"

DB="$T_TMP/mirror.sqlite"
"$IMPORT" --db "$DB" --logstore "$T_TMP/ls" "$M" >"$T_TMP/out" 2>"$T_TMP/err"
is "$?" "1" "exit status 1 when files were skipped"
sed 's/^/# stderr: /' "$T_TMP/err"
grep -q "$bdir/$b_trunc: offset [0-9]*: .*(build skipped)" "$T_TMP/err"
ok $? "truncated pickle: path and offset reported"
grep -q "$bdir/$b_garbage: offset 0: opcode 0x74" "$T_TMP/err"
ok $? "garbage file: offset 0 and the opcode byte reported"
grep -q "$bdir/$b_huge: offset 2: opcode 0x54 'T' (BINSTRING)" "$T_TMP/err"
ok $? "huge BINSTRING length: offset and opcode named"
grep -q "$(basename "$log")" "$T_TMP/err"
ok $? "truncated .bz2 log: reported by name"
is "$(q "$DB" "SELECT count(*) FROM builds")" "$((total - 3))" \
	"every good build imported, the three bad ones skipped"
is "$(q "$DB" "SELECT count(*) FROM builds WHERE number IN ($b_trunc, $b_garbage, $b_huge)")" "0" \
	"no row at all for a skipped build"
is "$(q "$DB" "SELECT count(*) FROM steps s JOIN builds b ON b.id = s.build_id")" \
	"$(q "$DB" "SELECT count(*) FROM steps")" "no orphan steps"
is "$(q "$DB" "SELECT complete FROM logs WHERE filename = '$(basename "${log%.bz2}")'")" "0" \
	"the truncated log is kept, marked incomplete"
good=$(q "$T_TMP/clean.sqlite" "SELECT text_bytes FROM logs WHERE filename = '$(basename "${log%.bz2}")'")
kept=$(q "$DB" "SELECT text_bytes FROM logs WHERE filename = '$(basename "${log%.bz2}")'")
[ "$kept" -lt "$good" ]; ok $? "what was read before the damage is kept ($kept of $good bytes)"
grep -q " $((total - 3)) builds imported" "$T_TMP/out"
ok $? "summary line counts the imported builds"

# Fixing a file makes the next run import it; the rest stays unchanged.
cp "$T_TMP/clean.sqlite" "$T_TMP/unused" 2>/dev/null
"$PYTHON3" "$top_srcdir/bench/gen-master.py" --version 0.8.2 --builders 1 \
	--builds 8 --compress bz2 --seed 11 "$T_TMP/again" >/dev/null
cp "$(dirname "$(find "$T_TMP/again" -type f -regex '.*/[0-9]+' | head -1)")/$b_garbage" "$bdir/$b_garbage"
"$IMPORT" --db "$DB" --logstore "$T_TMP/ls" --quiet "$M" 2>/dev/null
is "$(q "$DB" "SELECT count(*) FROM builds")" "$((total - 2))" "a repaired pickle is imported on the next run"

# Command-line mistakes.
"$IMPORT" --db "$DB" "$T_TMP/no-such-dir" 2>"$T_TMP/err"
is "$?" "2" "missing basedir: exit status 2"
grep -q "no-such-dir: No such file or directory" "$T_TMP/err"; ok $? "missing basedir: named"
"$IMPORT" --jobs 0 "$M" 2>"$T_TMP/err"
is "$?" "2" "--jobs 0: exit status 2"
grep -q -- "--jobs: 0 is out of range" "$T_TMP/err"; ok $? "--jobs 0: explained"
"$IMPORT" --db "$T_TMP/no/such/dir/x.sqlite" "$M" 2>"$T_TMP/err"
is "$?" "2" "unusable database path: exit status 2"
grep -q "x.sqlite" "$T_TMP/err"; ok $? "unusable database path: named"
"$IMPORT" 2>/dev/null
is "$?" "2" "no basedir: exit status 2"
"$IMPORT" --help | grep -q -- "--logstore DIR"; ok $? "--help lists the options"
"$IMPORT" --master a "$M" "$M" 2>/dev/null
is "$?" "2" "--master with two basedirs is refused"
printf 'not a database' >"$T_TMP/bad.sqlite"
"$IMPORT" --db "$T_TMP/bad.sqlite" "$M" 2>"$T_TMP/err"
is "$?" "2" "a file that is not a database: exit status 2"
"$LOGCAT" --db "$DB" --logstore "$T_TMP/ls" 999999 2>"$T_TMP/err"
is "$?" "2" "bbmirror-log: unknown id: exit status 2"
grep -q "no such log" "$T_TMP/err"; ok $? "bbmirror-log: unknown id explained"
"$LOGCAT" --db "$DB" --logstore "$T_TMP/ls" ../etc 2>/dev/null
is "$?" "2" "bbmirror-log: a non-numeric id is refused"

done_testing
