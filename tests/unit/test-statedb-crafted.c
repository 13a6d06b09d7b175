/*
 * test-statedb-crafted.c: the databases built here with the 0.8 DDL, for
 * test-statedb.c. The 0.8.2/0.8.3 schema (`version` 6) and the 0.8.7/0.8.8
 * schema (migrate 22), their rows with every field and storage class, the
 * records those rows must give (worked out by hand from the INSERTs), and
 * the tests that read them: whole, through indexed child tables, and
 * against a writer committing after the snapshot.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "../../importer/statedb.h"
#include "tap.h"
#include "test-statedb.h"

#define NT BBM_NO_TIME

/* --- databases built here ----------------------------------------------- */

/* The 0.8.2/0.8.3 schema (`version` 6), history tables only. */
const char v6_ddl[] =
    "CREATE TABLE version (version INTEGER NOT NULL);"
    "INSERT INTO version VALUES (6);"
    "CREATE TABLE changes ("
    " changeid INTEGER PRIMARY KEY AUTOINCREMENT,"
    " author VARCHAR(1024) NOT NULL, comments VARCHAR(1024) NOT NULL,"
    " is_dir SMALLINT NOT NULL, branch VARCHAR(1024) NULL,"
    " revision VARCHAR(256), revlink VARCHAR(256) NULL,"
    " when_timestamp INTEGER NOT NULL, category VARCHAR(256) NULL,"
    " repository TEXT NOT NULL DEFAULT '', project TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE change_files (changeid INTEGER NOT NULL,"
    " filename VARCHAR(1024) NOT NULL);"
    "CREATE TABLE change_links (changeid INTEGER NOT NULL,"
    " link VARCHAR(1024) NOT NULL);"
    "CREATE TABLE change_properties (changeid INTEGER NOT NULL,"
    " property_name VARCHAR(256) NOT NULL,"
    " property_value VARCHAR(1024) NOT NULL);"
    "CREATE TABLE sourcestamps (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " branch VARCHAR(256) DEFAULT NULL, revision VARCHAR(256) DEFAULT NULL,"
    " patchid INTEGER DEFAULT NULL, repository TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE buildsets (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " external_idstring VARCHAR(256), reason VARCHAR(256),"
    " sourcestampid INTEGER NOT NULL, submitted_at INTEGER NOT NULL,"
    " complete SMALLINT NOT NULL DEFAULT 0, complete_at INTEGER,"
    " results SMALLINT);"
    "CREATE TABLE buildset_properties (buildsetid INTEGER NOT NULL,"
    " property_name VARCHAR(256) NOT NULL,"
    " property_value VARCHAR(1024) NOT NULL);"
    "CREATE TABLE buildrequests (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " buildsetid INTEGER NOT NULL, buildername VARCHAR(256) NOT NULL,"
    " priority INTEGER NOT NULL DEFAULT 0, claimed_at INTEGER DEFAULT 0,"
    " claimed_by_name VARCHAR(256) DEFAULT NULL,"
    " claimed_by_incarnation VARCHAR(256) DEFAULT NULL,"
    " complete INTEGER DEFAULT 0, results SMALLINT,"
    " submitted_at INTEGER NOT NULL, complete_at INTEGER);"
    "CREATE TABLE builds (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " number INTEGER NOT NULL, brid INTEGER NOT NULL,"
    " start_time INTEGER NOT NULL, finish_time INTEGER);";

/*
 * Rows inserted out of id order; Latin-1 BLOBs (X'e9' is e-acute);
 * properties as [value, source] pairs and as bare values. Request 1 ran
 * twice, the second time under a reused lower number (a master that lost
 * its builder directory), and request 3 was merged into that second run.
 */
const char v6_rows[] =
    "INSERT INTO changes VALUES (3, X'e96c6f69',"
    " CAST(X'6e61c3af7665' AS TEXT), 1, NULL, NULL, NULL, 1300000123.25,"
    " 'cat', '', '');"
    "INSERT INTO changes VALUES (1, 'alice <a@example.org>', 'fix the thing',"
    " 0, 'master', 'abc123', 'http://example.org/abc123', 1300000000, NULL,"
    " 'git://example.org/r', 'proj');"
    "INSERT INTO change_files VALUES (1, 'a.c');"
    "INSERT INTO change_files VALUES (3, X'6669e82e63');"
    "INSERT INTO change_files VALUES (1, 'dir/b.h');"
    "INSERT INTO change_properties VALUES (1, 'owner', '[\"bob\", \"Change\"]');"
    "INSERT INTO change_properties VALUES (1, 'count', '7');"
    "INSERT INTO change_properties VALUES (1, 'list', '[1, 2, 3]');"
    "INSERT INTO change_properties VALUES (1, 'dict',"
    " '{\"b\": 1, \"a\": [true, null]}');"
    "INSERT INTO change_properties VALUES (1, 'pair',"
    " '[{\"z\": 1, \"y\": 2.5}, \"Src\"]');"
    "INSERT INTO change_properties VALUES (3, X'6ee9',"
    " X'5b2263e9222c2022536f75726365225d');"
    "INSERT INTO change_properties VALUES (1, 'nostr', '[1, 2]');"
    "INSERT INTO change_properties VALUES (1, 'broken', 'not json');"
    "INSERT INTO buildsets VALUES (2, 'ext-2', X'72e9', 1, 1300000400, 0,"
    " NULL, NULL);"
    "INSERT INTO buildsets VALUES (1, NULL, 'force', 1, 1300000200.5, 1,"
    " 1300000300.75, 2);"
    "INSERT INTO buildsets VALUES (5, NULL, 'pending', 1, 1300000500, 0,"
    " NULL, -1);"
    "INSERT INTO buildset_properties VALUES (1, 'scheduler',"
    " '[\"s1\", \"Scheduler\"]');"
    "INSERT INTO buildset_properties VALUES (5, 'n',"
    " '[3, \"Force Build Form\"]');"
    "INSERT INTO buildset_properties VALUES (1, 'bare', '\"x\"');"
    "INSERT INTO buildrequests VALUES (3, 2, X'62e9', 5, 0, NULL, NULL, 0,"
    " -1, 1300000400, NULL);"
    "INSERT INTO buildrequests VALUES (1, 1, 'b1', 0, 1300000201.5, 'host:/m',"
    " 'pid1-boot2', 1, 2, 1300000200.5, 1300000300.75);"
    "INSERT INTO buildrequests VALUES (2, 2, 'b2', 0, 1300000401, 'host:/m',"
    " 'pid1-boot2', 0, NULL, 1300000400, NULL);"
    "INSERT INTO builds VALUES (2, 0, 1, 1300000260.5, NULL);"
    "INSERT INTO builds VALUES (1, 1, 1, 1300000202.25, 1300000250);"
    "INSERT INTO builds VALUES (3, 0, 3, 1300000261, 1300000262);";

static const struct want_change v6_changes[] = {
	{ 1, "alice <a@example.org>", "fix the thing", 0, "master", "abc123",
	  "http://example.org/abc123", 1300000000, NULL,
	  "git://example.org/r", "proj", "", 2, { "a.c", "dir/b.h" }, 7, {
		{ "owner", "\"bob\"", "Change" },
		{ "count", "7", "Change" },
		{ "list", "[1,2,3]", "Change" },
		{ "dict", "{\"a\":[true,null],\"b\":1}", "Change" },
		{ "pair", "{\"y\":2.5,\"z\":1}", "Src" },
		{ "nostr", "[1,2]", "Change" },
		{ "broken", "\"not json\"", "Change" } } },
	{ 3, "\xc3\xa9loi", "na\xc3\xafve", 1, NULL, NULL, NULL, 1300000123.25,
	  "cat", "", "", "", 1, { "fi\xc3\xa8.c" }, 1, {
		{ "n\xc3\xa9", "\"c\xc3\xa9\"", "Source" } } },
};

static const struct want_buildset v6_buildsets[] = {
	{ 1, NULL, "force", 1300000200.5, 1, 1300000300.75, BBM_FAILURE, 2, {
		{ "scheduler", "\"s1\"", "Scheduler" },
		{ "bare", "\"x\"", "BuildSet" } } },
	{ 2, "ext-2", "r\xc3\xa9", 1300000400, 0, NT, BBM_NO_RESULT, 0,
	  { { NULL, NULL, NULL } } },
	{ 5, NULL, "pending", 1300000500, 0, NT, BBM_NO_RESULT, 1, {
		{ "n", "3", "Force Build Form" } } },
};

static const struct want_request v6_requests[] = {
	{ 1, 1, "b1", 0, 1300000200.5, 1300000201.5, "host:/m", 1,
	  1300000300.75, BBM_FAILURE, 2,
	  { { 1, 1300000202.25, 1300000250 }, { 0, 1300000260.5, NT } } },
	{ 2, 2, "b2", 0, 1300000400, 1300000401, "host:/m", 0, NT,
	  BBM_NO_RESULT, 0, { { 0, 0, 0 } } },
	{ 3, 2, "b\xc3\xa9", 5, 1300000400, NT, NULL, 0, NT, BBM_NO_RESULT, 1,
	  { { 0, 1300000261, 1300000262 } } },
};

/* The 0.8.7/0.8.8 schema (migrate 22): codebase, claims in their table. */
const char m22_ddl[] =
    "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL,"
    " repository_path TEXT, version INTEGER, PRIMARY KEY (repository_id));"
    "INSERT INTO migrate_version VALUES ('Buildbot', '/x/migrate', 22);"
    "CREATE TABLE objects (id INTEGER NOT NULL, name VARCHAR(128) NOT NULL,"
    " class_name VARCHAR(128) NOT NULL, PRIMARY KEY (id));"
    "CREATE TABLE changes (changeid INTEGER NOT NULL,"
    " author VARCHAR(256) NOT NULL, comments VARCHAR(1024) NOT NULL,"
    " is_dir SMALLINT NOT NULL, branch VARCHAR(256), revision VARCHAR(256),"
    " revlink VARCHAR(256), when_timestamp INTEGER NOT NULL,"
    " category VARCHAR(256), repository VARCHAR(512) DEFAULT '' NOT NULL,"
    " project VARCHAR(512) DEFAULT '' NOT NULL,"
    " codebase VARCHAR(256) DEFAULT '' NOT NULL, PRIMARY KEY (changeid));"
    "CREATE TABLE change_files (changeid INTEGER NOT NULL,"
    " filename VARCHAR(1024) NOT NULL);"
    "CREATE TABLE change_properties (changeid INTEGER NOT NULL,"
    " property_name VARCHAR(256) NOT NULL,"
    " property_value VARCHAR(1024) NOT NULL);"
    "CREATE TABLE sourcestampsets (id INTEGER NOT NULL, PRIMARY KEY (id));"
    "CREATE TABLE buildsets (id INTEGER NOT NULL,"
    " external_idstring VARCHAR(256), reason VARCHAR(256),"
    " sourcestampsetid INTEGER NOT NULL, submitted_at INTEGER NOT NULL,"
    " complete SMALLINT DEFAULT '0' NOT NULL, complete_at INTEGER,"
    " results SMALLINT, PRIMARY KEY (id));"
    "CREATE TABLE buildset_properties (buildsetid INTEGER NOT NULL,"
    " property_name VARCHAR(256) NOT NULL,"
    " property_value VARCHAR(1024) NOT NULL);"
    "CREATE TABLE buildrequests (id INTEGER NOT NULL,"
    " buildsetid INTEGER NOT NULL, buildername VARCHAR(256) NOT NULL,"
    " priority INTEGER DEFAULT '0' NOT NULL, complete INTEGER DEFAULT '0',"
    " results SMALLINT, submitted_at INTEGER NOT NULL, complete_at INTEGER,"
    " PRIMARY KEY (id));"
    "CREATE TABLE buildrequest_claims (brid INTEGER, objectid INTEGER,"
    " claimed_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX ix_buildrequest_claims_brid"
    " ON buildrequest_claims (brid);"
    "CREATE TABLE builds (id INTEGER NOT NULL, number INTEGER NOT NULL,"
    " brid INTEGER NOT NULL, start_time INTEGER NOT NULL,"
    " finish_time INTEGER, PRIMARY KEY (id));";

const char m22_rows[] =
    "INSERT INTO objects VALUES (5, 'host:/master',"
    " 'buildbot.master.BuildMaster');"
    "INSERT INTO changes VALUES (10, 'carol', 'msg', 0, 'br', 'r1', NULL,"
    " 1350000000.5, 'c', 'repo', 'p', 'cb');"
    "INSERT INTO change_properties VALUES (10, 'k', '[\"v\", \"Change\"]');"
    "INSERT INTO buildsets VALUES (1, NULL, 'r', 1, 1350000001, 1,"
    " 1350000009, 0);"
    "INSERT INTO buildrequests VALUES (1, 1, 'b', 0, 1, 0, 1350000001,"
    " 1350000009);"
    "INSERT INTO buildrequests VALUES (2, 1, 'b', 1, 0, NULL, 1350000001,"
    " NULL);"
    "INSERT INTO buildrequests VALUES (3, 1, 'b', 0, 0, -1, 1350000002,"
    " NULL);"
    "INSERT INTO buildrequest_claims VALUES (1, 5, 1350000002.5);"
    "INSERT INTO buildrequest_claims VALUES (3, 77, 1350000003);"
    "INSERT INTO builds VALUES (1, 4, 1, 1350000003, 1350000008);";

const struct want_change m22_changes[] = {
	{ 10, "carol", "msg", 0, "br", "r1", NULL, 1350000000.5, "c", "repo",
	  "p", "cb", 0, { NULL }, 1, { { "k", "\"v\"", "Change" } } },
};

static const struct want_buildset m22_buildsets[] = {
	{ 1, NULL, "r", 1350000001, 1, 1350000009, BBM_SUCCESS, 0,
	  { { NULL, NULL, NULL } } },
};

/* Request 3's claim names an object that is gone: time, no name. */
const struct want_request m22_requests[] = {
	{ 1, 1, "b", 0, 1350000001, 1350000002.5, "host:/master", 1,
	  1350000009, BBM_SUCCESS, 1, { { 4, 1350000003, 1350000008 } } },
	{ 2, 1, "b", 1, 1350000001, NT, NULL, 0, NT, BBM_NO_RESULT, 0,
	  { { 0, 0, 0 } } },
	{ 3, 1, "b", 0, 1350000002, 1350000003, NULL, 0, NT, BBM_NO_RESULT,
	  0, { { 0, 0, 0 } } },
};

void
test_crafted(void)
{
	struct statedb	*sd;
	char		*dir, *sql, *cause = NULL, *before, *after;
	size_t		 blen, alen;

	xasprintf(&sql, "%s%s", v6_ddl, v6_rows);
	dir = sdb_make_db("v6", sql);
	free(sql);
	before = sdb_slurp_db(dir, &blen);
	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "v6: open")) {
		is_int(statedb_version(sd), 6, "v6: version");
		sdb_check_changes(sd, v6_changes, 2, "v6");
		sdb_check_buildsets(sd, v6_buildsets, 3, "v6");
		sdb_check_requests(sd, v6_requests, 3, "v6");
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	after = sdb_slurp_db(dir, &alen);
	ok(blen == alen && memcmp(before, after, blen) == 0,
	    "v6: state.sqlite unchanged by reading");
	free(before);
	free(after);
	free(dir);

	xasprintf(&sql, "%s%s", m22_ddl, m22_rows);
	dir = sdb_make_db("m22", sql);
	free(sql);
	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "m22: open")) {
		is_int(statedb_version(sd), 22, "m22: version");
		sdb_check_changes(sd, m22_changes, 1, "m22");
		sdb_check_buildsets(sd, m22_buildsets, 1, "m22");
		sdb_check_requests(sd, m22_requests, 3, "m22");
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	free(dir);
}

/*
 * Masters before Buildbot's migration 017 have no index on the child
 * tables; the reader then works from indexed copies. Both ways must give
 * the same records.
 */
void
test_indexed(void)
{
	struct statedb	*sd;
	char		*dir, *sql, *cause = NULL;

	xasprintf(&sql, "%s%s"
	    "CREATE INDEX cf ON change_files (changeid);"
	    "CREATE INDEX cp ON change_properties (changeid);"
	    "CREATE INDEX bp ON buildset_properties (buildsetid);"
	    "CREATE INDEX bb ON builds (brid);", v6_ddl, v6_rows);
	dir = sdb_make_db("v6-indexed", sql);
	free(sql);
	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "v6 indexed: open")) {
		sdb_check_changes(sd, v6_changes, 2, "v6 indexed");
		sdb_check_buildsets(sd, v6_buildsets, 3, "v6 indexed");
		sdb_check_requests(sd, v6_requests, 3, "v6 indexed");
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	free(dir);
}

/*
 * The reader works on the snapshot taken at open: a change committed
 * later is left for the next run (which then sees it with its files), so
 * no parent is ever read without its children.
 */
void
test_snapshot(void)
{
	struct statedb		*sd;
	struct bbm_change	 c;
	sqlite3			*w;
	char			*dir, *sql, *path, *cause = NULL;
	int			 r, n = 0;

	xasprintf(&sql, "%s%s", v6_ddl, v6_rows);
	dir = sdb_make_db("snapshot", sql);
	free(sql);
	xasprintf(&path, "%s/state.sqlite", dir);
	if (sqlite3_open(path, &w) != SQLITE_OK)
		fatalx("writer: %s", sqlite3_errmsg(w));
	sd = sdb_open_dir(dir, &cause);
	if (!ok(sd != NULL, "snapshot: open")) {
		tap_diag("%s", cause);
		free(cause);
	} else {
		if (sqlite3_exec(w, "INSERT INTO changes VALUES (99, 'late', "
		    "'c', 0, NULL, NULL, NULL, 1, NULL, '', '');"
		    "INSERT INTO change_files VALUES (99, 'late.c')", NULL,
		    NULL, NULL) != SQLITE_OK)
			fatalx("writer: %s", sqlite3_errmsg(w));
		while ((r = statedb_next_change(sd, &c, &cause)) == 1) {
			ok(c.number != 99, "snapshot: change %lld was there "
			    "at open", (long long)c.number);
			n++;
			record_change_free(&c);
		}
		is_int(r, 0, "snapshot: clean end");
		is_int(n, 2, "snapshot: the changes of the snapshot");
		statedb_close(sd);
	}
	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "snapshot: reopen")) {
		while ((r = statedb_next_change(sd, &c, &cause)) == 1 &&
		    c.number != 99)
			record_change_free(&c);
		if (ok(r == 1, "snapshot: the next run sees change 99")) {
			ok(c.nfiles == 1 && strcmp(c.files[0], "late.c") == 0,
			    "snapshot: with its file");
			record_change_free(&c);
		}
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	sqlite3_close(w);
	free(path);
	free(dir);
}
