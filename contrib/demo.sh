#!/bin/sh
# make demo: generates a sample Buildbot 0.8 master with the project's own
# generator, imports it into ./bbmirror.sqlite + ./logstore/, and prints the
# example queries of contrib/queries.sql with their answers. Then the live
# path: bbmirrord on a private socket, and a running (fake 0.8.12) master
# with the real plugin streaming its builds into the same database.
set -e
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON3=${PYTHON3:-python3}
master=demo-master

rm -rf "$master" logstore demo-live
rm -f bbmirror.sqlite bbmirror.sqlite-wal bbmirror.sqlite-shm

echo "== Generating a sample Buildbot 0.8.7 master in ./$master"
"$PYTHON3" "$srcdir/bench/gen-master.py" --version 0.8.7 --builders 3 \
	--builds 40 --compress mixed --seed 7 "$master"
echo
echo "== bbmirror-import --db bbmirror.sqlite --logstore logstore $master"
status=0
./bbmirror-import --db bbmirror.sqlite --logstore logstore "$master" || status=$?
# The generated master carries a few deliberate defects (a pruned log, a
# crashed build); exit status 1 reports them.
[ "$status" -le 1 ] || exit "$status"
echo
echo "== Running it again imports nothing new"
./bbmirror-import --db bbmirror.sqlite --logstore logstore "$master" || true
echo

awk '/^-- title:/ { if (q != "") print q; sub(/^-- title: */, ""); print "#" $0; q=""; next }
     /^--/ || /^$/ { next }
     { q = q " " $0 }
     END { if (q != "") print q }' "$srcdir/contrib/queries.sql" |
while IFS= read -r line; do
	case "$line" in
	\#*)	echo "== ${line#\#}" ;;
	*)	sqlite3 -header -column bbmirror.sqlite "$line"; echo ;;
	esac
done

id=$(sqlite3 bbmirror.sqlite "SELECT id FROM logs WHERE state = 'stored' AND name = 'stdio' ORDER BY id LIMIT 1")
echo "== bbmirror-log $id | head -5   (a log's text, from the log store)"
./bbmirror-log --db bbmirror.sqlite --logstore logstore "$id" | head -5

echo
port=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "== Live: bbmirrord --db bbmirror.sqlite --logstore logstore --socket demo-live/bbmirrord.sock --http 127.0.0.1:$port"
mkdir -p demo-live/state
./bbmirrord --db bbmirror.sqlite --logstore logstore \
	--socket demo-live/bbmirrord.sock --http "127.0.0.1:$port" -q \
	2>demo-live/bbmirrord.log &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -S demo-live/bbmirrord.sock ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
echo "== A running master (fake 0.8.12, tests/plugin/fakemaster.py) with"
echo "   MirrorStatus(socket='demo-live/bbmirrord.sock') in its master.cfg: 5 builds"
"$PYTHON3" "$srcdir/tests/plugin/live_driver.py" --once --builds1 5 \
	--basedir demo-live/master --spool demo-live/spool \
	--state demo-live/state --master live-demo \
	--socket demo-live/bbmirrord.sock --timeout 60 >/dev/null
echo
echo "== The same over HTTP: curl http://127.0.0.1:$port/api/v1/builds?master=live-demo&limit=2"
curl -s "http://127.0.0.1:$port/api/v1/builds?master=live-demo&limit=2" |
	"$PYTHON3" -c 'import json, sys
for b in json.load(sys.stdin)["items"]:
    print("   build %(id)s: %(builder)s #%(number)s, %(result)s, slave %(slave)s" % b)'
lid=$(sqlite3 bbmirror.sqlite "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id
    JOIN builds b ON b.id = s.build_id JOIN builders bl ON bl.id = b.builder_id
    JOIN masters m ON m.id = bl.master_id
    WHERE m.name = 'live-demo' AND l.name = 'stdio' AND l.text_bytes > 0
    ORDER BY l.id LIMIT 1")
echo "== curl -H 'Range: bytes=0-199' http://127.0.0.1:$port/logs/$lid   (a log over HTTP)"
curl -s -H 'Range: bytes=0-199' "http://127.0.0.1:$port/logs/$lid"
echo
echo "== curl http://127.0.0.1:$port/metrics | grep events_total"
curl -s "http://127.0.0.1:$port/metrics" | grep '^bbmirror_events_total'
kill -TERM $daemon
wait $daemon || true
trap - EXIT INT TERM
echo
echo "== What the live master put in the mirror"
sqlite3 -header -column bbmirror.sqlite "
SELECT bl.name AS builder, b.number, r.name AS result, b.slave,
       (SELECT count(*) FROM steps WHERE build_id = b.id) AS steps,
       b.origin
FROM builds b JOIN builders bl ON bl.id = b.builder_id
JOIN masters m ON m.id = bl.master_id
LEFT JOIN result_codes r ON r.code = b.results
WHERE m.name = 'live-demo' ORDER BY b.started_at"
echo
sqlite3 -header -column bbmirror.sqlite "
SELECT m.name AS master, lm.last_seq AS events_committed,
       (SELECT count(*) FROM slaves s WHERE s.master_id = m.id) AS slaves,
       (SELECT count(*) FROM changes c WHERE c.master_id = m.id) AS changes
FROM live_masters lm JOIN masters m ON m.id = lm.master_id"
id=$(sqlite3 bbmirror.sqlite "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id
    JOIN builds b ON b.id = s.build_id JOIN builders bl ON bl.id = b.builder_id
    JOIN masters m ON m.id = bl.master_id
    WHERE m.name = 'live-demo' AND l.name = 'stdio' AND l.text_bytes > 0
    ORDER BY l.id LIMIT 1")
echo
echo "== bbmirror-log $id | head -5   (a log written live, chunk by chunk)"
./bbmirror-log --db bbmirror.sqlite --logstore logstore "$id" | head -5
