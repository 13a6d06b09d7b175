# pg.sh: private PostgreSQL clusters for the tests and CI (sourced, POSIX
# sh). A cluster lives in a directory of its own: DIR/data (initdb), its
# UNIX socket in DIR/sock (no TCP: listen_addresses is empty), its log in
# DIR/log. As root, the server runs as the postgres user (initdb refuses
# root); clients connect as postgres without a password (trust: the socket
# directory is the only way in).
#
#   pg_bin             the newest /usr/lib/postgresql/*/bin (or $BBM_PG_BIN)
#   pg_init DIR        initdb
#   pg_start DIR       start (waits until it accepts connections); fsync is
#                      off (tests crash processes, not machines) unless
#                      BBM_PG_FSYNC=on
#   pg_stop DIR [MODE] stop (fast by default; immediate: a crash)
#   pg_conninfo DIR [DB] the libpq connection string
#   pg_createdb CONNINFO NAME  creates database NAME on the server of
#                      CONNINFO and prints CONNINFO with dbname=NAME
#   pg_dropdb CONNINFO NAME

pg_bin() {
	if [ -n "${BBM_PG_BIN:-}" ] && [ -x "$BBM_PG_BIN/initdb" ]; then
		echo "$BBM_PG_BIN"
		return 0
	fi
	for _d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		if [ -x "$_d/initdb" ] && [ -x "$_d/pg_ctl" ]; then
			echo "$_d"
			return 0
		fi
	done
	return 1
}

# pg_as CMD...: runs CMD as the cluster's owner.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_init() {
	_b=$(pg_bin) || return 1
	mkdir -p "$1/sock" || return 1
	[ "$(id -u)" != 0 ] || chown -R postgres "$1" || return 1
	pg_as "$_b/initdb" -D "$1/data" -A trust -U postgres -E UTF8 \
	    --no-locale --no-sync >"$1/initdb.log" 2>&1
}

pg_start() {
	_b=$(pg_bin) || return 1
	pg_as "$_b/pg_ctl" -D "$1/data" -l "$1/log" -w -t 120 \
	    -o "-k $1/sock -c listen_addresses= -c fsync=${BBM_PG_FSYNC:-off} -c max_connections=200" \
	    start >/dev/null
}

pg_stop() {
	_b=$(pg_bin) || return 1
	pg_as "$_b/pg_ctl" -D "$1/data" -m "${2:-fast}" -w -t 120 stop \
	    >/dev/null 2>&1
}

pg_conninfo() {
	echo "host=$1/sock user=postgres dbname=${2:-postgres}"
}

pg_createdb() {
	psql "$1" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $2" \
	    >/dev/null || return 1
	case $1 in
	postgres://*\?*|postgresql://*\?*) echo "$1&dbname=$2" ;;
	postgres://*|postgresql://*) echo "$1?dbname=$2" ;;
	*) echo "$1 dbname=$2" ;;
	esac
}

pg_dropdb() {
	psql "$1" -X -q -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" \
	    >/dev/null 2>&1
}
