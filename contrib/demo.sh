#!/bin/sh
# make demo: generates a sample Buildbot 0.8 master with the project's own
# generator, imports it into ./bbmirror.sqlite + ./logstore/, and prints the
# example queries of contrib/queries.sql with their answers.
set -e
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON3=${PYTHON3:-python3}
master=demo-master

rm -rf "$master" logstore
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
