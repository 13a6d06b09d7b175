#!/bin/sh
# Imports the real master directories of ../shared/fixtures and checks rows
# against facts read by hand from their pickles, logs and state.sqlite.
. "${top_srcdir:-.}/tests/integration/lib.sh"

for f in master-0-7-5 v082 v087p1; do
	[ -f "$BBM_FIXTURES/$f.tgz" ] || skip_all "fixture $f.tgz not in $BBM_FIXTURES"
done
DB="$T_TMP/mirror.sqlite"
LS="$T_TMP/logstore"
run() { "$IMPORT" --db "$DB" --logstore "$LS" --quiet "$@"; }

# --- 0.7.5 ----------------------------------------------------------------
m=$(fixture master-0-7-5)
run "$m" 2>"$T_TMP/err"; ok $? "0.7.5: imports with exit status 0"
is "$(cat "$T_TMP/err")" "" "0.7.5: no warnings"
is "$(q "$DB" "SELECT name, builddir FROM builders")" "tb|tbdir" \
	"0.7.5: builder named from its pickle, builddir from the directory"
is "$(q "$DB" "SELECT count(*) FROM builder_events")" "5" "0.7.5: 5 builder events"
is "$(q "$DB" "SELECT text FROM builder_events ORDER BY started_at LIMIT 1")" \
	'["builder","created"]' "0.7.5: first builder event"
is "$(q "$DB" "SELECT number, results, started_at, finished_at, text, slave, reason, complete, origin FROM builds")" \
	'0|0|1289535988.280159|1289535988.33068|["build","successful"]|bot||1|import' \
	"0.7.5: build 0 row"
is "$(q "$DB" "SELECT number, name, results, text FROM steps")" '0|shell|0|["echoed"]' \
	"0.7.5: its step"
is "$(q "$DB" "SELECT name, filename, kind, state, stored_bytes, text_bytes, lines, complete FROM logs")" \
	'stdio|0-log-shell-stdio|text|stored|4137|4120|1|1' "0.7.5: its log (sizes counted by hand)"
is "$(q "$DB" "SELECT name, value, source FROM build_properties ORDER BY name")" \
"branch|null|Upgrade from previous version
buildername|\"tb\"|Upgrade from previous version
buildnumber|0|Upgrade from previous version
revision|null|Upgrade from previous version
slavename|\"bot\"|Upgrade from previous version" "0.7.5: v2 plain-dict properties"
is "$(q "$DB" "SELECT count(*) FROM changes")" "2" \
	"0.7.5: 2 changes (the build's change is changes.pck's #2, not a third)"
is "$(q "$DB" "SELECT author, branch, revision FROM changes WHERE number = 1")" \
	"the snowman <☃@norpole.net>|☄|★-devel" "0.7.5: UTF-8 bytes of changes.pck decoded"
is "$(q "$DB" "SELECT group_concat(filename, ',') FROM (SELECT filename FROM change_files JOIN changes c ON c.id = change_id WHERE c.number = 1 ORDER BY filename)")" \
	"normal/path,★/funny_chars/in/a/path" "0.7.5: change files"
is "$(q "$DB" "SELECT c.number, c.author FROM build_changes bc JOIN changes c ON c.id = bc.change_id")" \
	"2|dustin <dustin@v.igoro.us>" "0.7.5: the build links change #2"
is "$(q "$DB" "SELECT count(*) FROM sourcestamp_changes")" "1" "0.7.5: its source stamp links it too"
log=$(q "$DB" "SELECT id FROM logs")
is "$("$LOGCAT" --db "$DB" --logstore "$LS" "$log")" "partly ☁y" \
	"0.7.5: bbmirror-log gives stdout+stderr text"
"$LOGCAT" --db "$DB" --logstore "$LS" --raw "$log" | cmp -s - "$m/tbdir/0-log-shell-stdio"
ok $? "0.7.5: --raw is the master's file byte for byte"
is "$("$LOGCAT" --db "$DB" --logstore "$LS" --channel header "$log" | wc -c)" "4108" \
	"0.7.5: header channel length"

# --- 0.8.2 ----------------------------------------------------------------
m=$(fixture v082)
run "$m" 2>"$T_TMP/err"; ok $? "v082: imports with exit status 0"
mid="(SELECT id FROM masters WHERE name = 'v082')"
bq() { q "$DB" "SELECT $1 FROM builds b JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid $2"; }
is "$(q "$DB" "SELECT name, category, tags FROM builders WHERE master_id = $mid")" \
	'builder|x7|["x7"]' "v082: builder v1 category upgraded to tags"
is "$(q "$DB" "SELECT count(*) FROM builder_events e JOIN builders b ON b.id = e.builder_id WHERE b.master_id = $mid")" \
	"12" "v082: 12 builder events"
is "$(bq "number, results" "ORDER BY number" | tr '\n' ' ')" "0|0 1|4 2|5 3|0 " "v082: 4 builds and results"
is "$(bq "text" "AND number = 2")" '["build","successful"]' \
	"v082: build 2 keeps its contradicting text (results 5)"
sq() { q "$DB" "SELECT $1 FROM steps s JOIN builds b ON b.id = s.build_id JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid $2"; }
is "$(sq "count(*)" "")" "12" "v082: 12 steps"
is "$(sq "s.name, s.started_at IS NULL, s.results IS NULL, s.text" "AND b.number = 1 ORDER BY s.number" | tr '\n' ' ')" \
	'git|0|0|["git","exception"] shell|1|1|[] shell_1|1|1|[] ' \
	"v082: build 1's steps 2-3 never started"
lq() { q "$DB" "SELECT $1 FROM logs l JOIN steps s ON s.id = l.step_id JOIN builds b ON b.id = s.build_id JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid $2"; }
is "$(lq "count(*)" "")" "12" "v082: 12 logs"
is "$(lq "count(*)" "AND l.state = 'stored'")" "12" "v082: all stored"
is "$(lq "l.name, l.kind, l.text_bytes" "AND b.number = 1 ORDER BY l.number" | tr '\n' ' ')" \
	"stdio|text|254 err.html|html|2527 err.text|text|217 " \
	"v082: build 1 logs, HTML log from the pickle's inline html"
is "$(lq "l.stored_bytes, l.text_bytes, l.lines" "AND b.number = 2 AND s.name = 'shell' AND l.name = 'stdio'")" \
	"4643|4636|0" "v082: 2-log-shell-stdio read raw, its .bz2.tmp ignored"
is "$(lq "l.text_bytes, l.lines" "AND l.name = 'interrupt'")" "167|1" "v082: interrupt log"
htmlid=$(lq "l.id" "AND l.name = 'err.html'")
"$LOGCAT" --db "$DB" --logstore "$LS" --channel stderr "$htmlid" | head -c 15 | grep -qi '<html\|<!doc\|<' 
ok $? "v082: the HTML log reads back on stderr"
giturl=$(lq "l.id" "AND b.number = 0 AND l.name = 'stdio' AND s.name = 'git'")
bzcat "$m/builder/0-log-git-stdio.bz2" >"$T_TMP/raw"
"$LOGCAT" --db "$DB" --logstore "$LS" --raw "$giturl" | cmp -s - "$T_TMP/raw"
ok $? "v082: a .bz2 log reads back byte-identical to bzcat"
is "$(q "$DB" "SELECT p.value, p.source FROM build_properties p JOIN builds b ON b.id = p.build_id JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid AND b.number = 0 AND p.name = 'revision'")" \
	'"None"|Source' "v082: property revision is the string 'None'"
is "$(q "$DB" "SELECT count(*) FROM buildsets WHERE master_id = $mid")" "7" "v082: 7 buildsets"
is "$(q "$DB" "SELECT count(*) FROM buildrequests WHERE master_id = $mid")" "7" "v082: 7 build requests"
is "$(q "$DB" "SELECT r.brid, b.number FROM build_requests x JOIN buildrequests r ON r.id = x.buildrequest_id JOIN builds b ON b.id = x.build_id WHERE r.master_id = $mid ORDER BY r.brid, b.number" | tr '\n' ' ')" \
	"1|0 2|1 3|1 4|1 5|2 5|3 6|3 7|3 " "v082: requests linked to builds (merged and retried)"

# --- 0.8.7p1 --------------------------------------------------------------
m=$(fixture v087p1)
run "$m" 2>"$T_TMP/err"; ok $? "v087p1: imports with exit status 0"
mid="(SELECT id FROM masters WHERE name = 'v087p1')"
is "$(q "$DB" "SELECT name, builddir FROM builders WHERE master_id = $mid")" "runtests|runtests" \
	"v087p1: no builder pickle: named from the buildername property"
is "$(bq "number, results, slave" "ORDER BY number" | tr '\n' ' ')" \
	"0|0|example-slave 1|0|example-slave " "v087p1: 2 builds"
is "$(q "$DB" "SELECT p.value FROM build_properties p JOIN builds b ON b.id = p.build_id JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid AND b.number = 0 AND p.name = 'owners'")" \
	'["jabroney <jabroney@localhost>"]' "v087p1: a list-valued property as JSON"
is "$(q "$DB" "SELECT count(*) FROM sourcestamps ss JOIN builds b ON b.id = ss.build_id JOIN builders bl ON bl.id = b.builder_id WHERE bl.master_id = $mid")" \
	"2" "v087p1: Build v4 sources: one source stamp per build"
is "$(lq "sum(l.text_bytes)" "")" "$((4987 + 22306 + 6754 + 22306))" \
	"v087p1: log text bytes equal the pickles' lengths"

# --- idempotence ----------------------------------------------------------
counts() {
	q "$DB" "SELECT (SELECT count(*) FROM builds), (SELECT count(*) FROM steps),
	(SELECT count(*) FROM logs), (SELECT count(*) FROM build_properties),
	(SELECT count(*) FROM changes), (SELECT count(*) FROM build_requests),
	(SELECT count(*) FROM builder_events)"
}
before=$(counts)
out=$("$IMPORT" --db "$DB" --logstore "$LS" "$T_TMP/v082")
ok $? "re-import: exit status 0"
case "$out" in *" 0 builds imported, 4 unchanged"*) r=0 ;; *) r=1; echo "# $out" ;; esac
ok $r "re-import: nothing imported, 4 unchanged"
is "$(counts)" "$before" "re-import: no row added or lost"
touch "$T_TMP/v082/builder/0"
"$IMPORT" --db "$DB" --logstore "$LS" --quiet "$T_TMP/v082"
is "$(counts)" "$before" "touched pickle: same content, no change"
mid="(SELECT id FROM masters WHERE name = 'v082')"
id0=$(bq "b.id" "AND number = 0")
"$PYTHON3" - "$T_TMP/v082/builder/0" <<'PYEOF'
import sys
p = sys.argv[1]; d = open(p, 'rb').read()
assert d.count(b"force build") == 1
open(p, 'wb').write(d.replace(b"force build", b"FORCE BUILD"))
PYEOF
"$IMPORT" --db "$DB" --logstore "$LS" --quiet "$T_TMP/v082"
ok $? "rewritten pickle: re-import succeeds"
is "$(bq "b.id, b.reason" "AND number = 0")" "$id0|The web-page 'FORCE BUILD' button was pressed by '': " "rewritten pickle: the same build row is updated"
is "$(counts)" "$before" "rewritten pickle: nothing duplicated"

done_testing
