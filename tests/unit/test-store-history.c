/*
 * test-store-history.c: the history records of the store, for
 * test-store.c: changes found again by identity, buildsets and build
 * requests upserted by their master's ids, the links from requests to
 * builds, the importer's file state and the log lookups. Runs on the
 * database test-store.c filled with masters, builders and builds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-store.h"

void
test_changes(struct store *s, int64_t master)
{
	struct bbm_change	 c;
	int64_t			 id, id2, r1;
	char			*cause = NULL;
	int			 rc;

	r1 = test_q_int("SELECT id FROM changes WHERE revision = 'r1'");
	test_change(&c, 1, "r1", 900.0, "src/d.c");
	free(c.files[0]);
	c.nfiles = 1;
	c.files[0] = c.files[1];
	rc = store_change(s, master, &c, BBM_ORIGIN_LIVE, &id, &cause);
	ok(rc == 0 && id == r1, "the same change is found by identity");
	is_int(test_q_int("SELECT count(*) FROM change_files WHERE change_id = "
	    "%lld", (long long)id), 1, "its files are replaced");
	is_qstr("src/d.c", "by the record's",
	    "SELECT filename FROM change_files WHERE change_id = %lld",
	    (long long)id);
	record_change_free(&c);

	/* Master restarted, change number 1 reused for other content. */
	test_change(&c, 1, "r9", 990.0, "src/e.c");
	rc = store_change(s, master, &c, BBM_ORIGIN_IMPORT, &id2, &cause);
	ok(rc == 0 && id2 != r1, "a reused change number is another change");
	is_int(test_q_int("SELECT count(*) FROM changes WHERE number = 1"), 2,
	    "two changes numbered 1");
	record_change_free(&c);
}

void
test_requests(struct store *s, int64_t master, int64_t builder)
{
	struct bbm_buildset	 bs;
	struct bbm_buildrequest	 br;
	struct bbm_build	 b;
	int64_t			 bsid, id, id2, build9;
	char			*cause = NULL;
	int			 rc;

	memset(&bs, 0, sizeof bs);
	bs.bsid = 3;
	bs.reason = xstrdup("forced");
	bs.submitted_at = 990.0;
	bs.complete = 1;
	bs.complete_at = 1100.0;
	bs.results = BBM_SUCCESS;
	bs.nproperties = 2;
	bs.properties = xcalloc(2, sizeof *bs.properties);
	test_property(&bs.properties[0], "owner", "\"alice\"", "Force");
	test_property(&bs.properties[1], "reason", "\"why\"", "Force");
	rc = store_buildset(s, master, &bs, BBM_ORIGIN_IMPORT, &bsid, &cause);
	ok(rc == 0 && bsid > 0, "store_buildset");
	is_int(test_q_int("SELECT count(*) FROM buildset_properties"), 2,
	    "two buildset properties");
	record_property_free(&bs.properties[1]);
	bs.nproperties = 1;
	bs.results = BBM_NO_RESULT;
	rc = store_buildset(s, master, &bs, BBM_ORIGIN_IMPORT, &id, &cause);
	ok(rc == 0 && id == bsid, "buildset upserted by bsid");
	is_int(test_q_int("SELECT count(*) FROM buildsets"), 1, "one buildset");
	is_int(test_q_int("SELECT count(*) FROM buildset_properties"), 1,
	    "its properties replaced");
	is_int(test_q_int("SELECT count(*) FROM buildsets WHERE "
	    "results IS NULL"), 1, "no result is NULL");
	record_buildset_free(&bs);

	/* Build 5 exists twice (1000.5 and 5000.0): the nearer one wins. */
	memset(&br, 0, sizeof br);
	br.brid = 10;
	br.bsid = 3;
	br.builder_name = xstrdup("b1");
	br.priority = 0;
	br.submitted_at = 990.0;
	br.claimed_at = 995.0;
	br.claimed_by = xstrdup("master1");
	br.complete = 1;
	br.complete_at = 1100.0;
	br.results = BBM_SUCCESS;
	br.nbuilds = 2;
	br.builds = xcalloc(2, sizeof *br.builds);
	br.builds[0].number = 5;
	br.builds[0].started_at = 1000.5 + 20;
	br.builds[0].finished_at = 1100.0;
	br.builds[1].number = 9;
	br.builds[1].started_at = 9000.0;
	br.builds[1].finished_at = BBM_NO_TIME;
	rc = store_buildrequest(s, master, &br, BBM_ORIGIN_IMPORT, &id, &cause);
	ok(rc == 0 && id > 0, "store_buildrequest");
	is_int(test_q_int("SELECT buildset_id FROM buildrequests WHERE "
	    "id = %lld", (long long)id), bsid,
	    "request points at its buildset");
	is_int(test_q_int("SELECT count(*) FROM build_requests"), 1,
	    "linked to one build (build 9 is not stored yet)");
	ok(test_q_int("SELECT b.started_at = 1000.5 FROM build_requests br "
	    "JOIN builds b ON b.id = br.build_id") == 1,
	    "linked to the build 5 nearest in time");

	test_build(&b, 9, 9000.0 - 59, 1);
	build9 = test_store_build(s, master, builder, &b, "build 9");
	record_build_free(&b);
	rc = store_buildrequest(s, master, &br, BBM_ORIGIN_IMPORT, &id2,
	    &cause);
	ok(rc == 0 && id2 == id, "request upserted by brid");
	is_int(test_q_int("SELECT count(*) FROM build_requests"), 2,
	    "storing it again adds the new link");
	is_int(test_q_int("SELECT count(*) FROM build_requests WHERE "
	    "build_id = %lld AND buildrequest_id = %lld", (long long)build9,
	    (long long)id), 1, "to build 9, 59 s away");
	is_int(test_q_int("SELECT count(*) FROM buildrequests"), 1,
	    "one request row");
	record_buildrequest_free(&br);

	/* Out of the window, unknown buildset, unknown times. */
	memset(&br, 0, sizeof br);
	br.brid = 11;
	br.bsid = 99;
	br.builder_name = xstrdup("b1");
	br.submitted_at = BBM_NO_TIME;
	br.claimed_at = BBM_NO_TIME;
	br.complete_at = BBM_NO_TIME;
	br.results = BBM_NO_RESULT;
	br.nbuilds = 3;
	br.builds = xcalloc(3, sizeof *br.builds);
	br.builds[0].number = 5;
	br.builds[0].started_at = 1000.5 + 61;
	br.builds[1].number = 7;		/* two builds 7: ambiguous */
	br.builds[1].started_at = BBM_NO_TIME;
	br.builds[2].number = 9;		/* one build 9 */
	br.builds[2].started_at = BBM_NO_TIME;
	rc = store_buildrequest(s, master, &br, BBM_ORIGIN_IMPORT, &id, &cause);
	ok(rc == 0, "store_buildrequest 11");
	is_int(test_q_int("SELECT count(*) FROM buildrequests WHERE id = %lld "
	    "AND buildset_id IS NULL AND bsid = 99 AND results IS NULL AND "
	    "submitted_at IS NULL", (long long)id), 1,
	    "unknown buildset and times are NULL");
	is_int(test_q_int("SELECT count(*) FROM build_requests WHERE "
	    "buildrequest_id = %lld", (long long)id), 1,
	    "only the unambiguous build is linked");
	is_int(test_q_int("SELECT build_id FROM build_requests WHERE "
	    "buildrequest_id = %lld", (long long)id), build9,
	    "build 9, the only one of its number");
	record_buildrequest_free(&br);
	free(cause);
}

void
test_files_logs(struct store *s, int64_t master, int64_t builder)
{
	struct store_file_state	 fs, got;
	struct bbm_log		 l;
	int64_t			 build_id, log_id;
	char			*cause = NULL;
	int			 found, rc;

	rc = store_file_get(s, master, "b1/5", &got, &found, &cause);
	ok(rc == 0 && !found, "no file state yet");

	build_id = test_q_int("SELECT id FROM builds WHERE number = 5 AND "
	    "started_at = 1000.5");
	memset(&fs, 0, sizeof fs);
	fs.size = 12345;
	fs.mtime_ns = 1700000000123456789LL;
	memset(fs.digest, 'a', 64);
	fs.build_id = build_id;
	rc = store_file_put(s, master, "b1/5", &fs, &cause);
	ok(rc == 0, "store_file_put");
	memset(&got, 0xff, sizeof got);
	rc = store_file_get(s, master, "b1/5", &got, &found, &cause);
	ok(rc == 0 && found, "file state found");
	is_int(got.size, 12345, "size");
	is_int(got.mtime_ns, 1700000000123456789LL, "mtime in ns, exact");
	is_str(got.digest, fs.digest, "digest");
	is_int(got.build_id, build_id, "build id");

	fs.size = 1;
	fs.digest[0] = '\0';
	fs.build_id = 0;
	rc = store_file_put(s, master, "b1/5", &fs, &cause);
	ok(rc == 0, "store_file_put again");
	rc = store_file_get(s, master, "b1/5", &got, &found, &cause);
	ok(rc == 0 && found && got.size == 1 && got.digest[0] == '\0' &&
	    got.build_id == 0, "file state updated, no digest, no build");
	is_int(test_q_int("SELECT count(*) FROM import_files WHERE "
	    "digest IS NULL AND build_id IS NULL"), 1, "stored as NULLs");

	memset(&l, 0, sizeof l);
	rc = store_log_get(s, build_id, 0, 1, &l, &found, &cause);
	ok(rc == 0 && found, "store_log_get finds step 0 log 1");
	is_int(l.state, BBM_LOG_STORED, "log state");
	is_str(l.store_key, "key-5-0-1", "log store_key");
	is_int(l.stored_bytes, 101, "log stored_bytes");
	is_int(l.text_bytes, 80, "log text_bytes");
	is_int(l.lines, 4, "log lines");
	is_int(l.complete, 1, "log complete");
	record_log_free(&l);
	rc = store_log_get(s, build_id, 2, 0, &l, &found, &cause);
	ok(rc == 0 && !found, "store_log_get: the removed step has no log");

	log_id = test_q_int("SELECT l.id FROM logs l JOIN steps s ON "
	    "s.id = l.step_id WHERE s.build_id = %lld AND s.number = 1 AND "
	    "l.number = 0", (long long)build_id);
	memset(&l, 0, sizeof l);
	rc = store_log_by_id(s, log_id, &l, &found, &cause);
	ok(rc == 0 && found, "store_log_by_id finds step 1 log 0");
	is_str(l.name, "stdio", "by id: name");
	is_str(l.filename, "5-log-step1-0", "by id: filename");
	is_int(l.kind, BBM_LOG_TEXT, "by id: kind");
	is_str(l.store_key, "key-5-1-0", "by id: store_key");
	is_int(l.stored_bytes, 100, "by id: stored_bytes");
	record_log_free(&l);
	log_id = test_q_int("SELECT l.id FROM logs l JOIN steps s ON "
	    "s.id = l.step_id WHERE s.build_id = %lld AND s.number = 0 AND "
	    "l.number = 1", (long long)build_id);
	memset(&l, 0, sizeof l);
	rc = store_log_by_id(s, log_id, &l, &found, &cause);
	ok(rc == 0 && found && l.kind == BBM_LOG_HTML &&
	    strcmp(l.store_key, "key-5-0-1") == 0,
	    "store_log_by_id: an HTML log");
	record_log_free(&l);
	rc = store_log_by_id(s, 999999, &l, &found, &cause);
	ok(rc == 0 && !found, "store_log_by_id: no such id");
	(void)builder;
}
