-- bbmirror schema version 1 (SQLite dialect).
--
-- Portable by construction: the PostgreSQL twin is a mechanical translation
-- (INTEGER PRIMARY KEY -> bigserial PRIMARY KEY, INTEGER -> bigint,
-- REAL -> double precision, BLOB -> bytea). Times are epoch seconds, NULL
-- when unknown; JSON columns hold compact JSON text with sorted keys;
-- flags are 0/1 integers. CHECKs on a list of values are written with OR:
-- SQLite builds a temporary index for an IN list of more than two values,
-- on every row written. The store runs this file in one transaction and
-- then records the version in schema_version. schema/README.md describes
-- every table and column.

CREATE TABLE schema_version (
	version		INTEGER NOT NULL,
	applied_at	REAL NOT NULL
);

CREATE TABLE result_codes (
	code		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE
);
INSERT INTO result_codes (code, name) VALUES (0, 'success');
INSERT INTO result_codes (code, name) VALUES (1, 'warnings');
INSERT INTO result_codes (code, name) VALUES (2, 'failure');
INSERT INTO result_codes (code, name) VALUES (3, 'skipped');
INSERT INTO result_codes (code, name) VALUES (4, 'exception');
INSERT INTO result_codes (code, name) VALUES (5, 'retry');
INSERT INTO result_codes (code, name) VALUES (6, 'cancelled');

CREATE TABLE masters (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	basedir		TEXT,
	created_at	REAL NOT NULL
);

CREATE TABLE builders (
	id		INTEGER PRIMARY KEY,
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	builddir	TEXT,
	description	TEXT,
	category	TEXT,
	tags		TEXT,
	slavenames	TEXT,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL,
	UNIQUE (master_id, name)
);

CREATE TABLE builder_events (
	id		INTEGER PRIMARY KEY,
	builder_id	INTEGER NOT NULL
			    REFERENCES builders (id) ON DELETE CASCADE,
	number		INTEGER NOT NULL,
	started_at	REAL,
	finished_at	REAL,
	text		TEXT,
	UNIQUE (builder_id, number)
);

-- Identity is (builder_id, number, started_at), with NULL started_at
-- matching NULL: the store enforces it (NULLs are distinct in UNIQUE), so
-- the index on (builder_id, number) is deliberately not unique.
CREATE TABLE builds (
	id		INTEGER PRIMARY KEY,
	builder_id	INTEGER NOT NULL
			    REFERENCES builders (id) ON DELETE CASCADE,
	number		INTEGER NOT NULL,
	started_at	REAL,
	finished_at	REAL,
	complete	INTEGER NOT NULL CHECK (complete IN (0, 1)),
	results		INTEGER,
	text		TEXT,
	reason		TEXT,
	slave		TEXT,
	blamelist	TEXT,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL
);
CREATE INDEX builds_builder_number ON builds (builder_id, number);
CREATE INDEX builds_started_at ON builds (started_at);
CREATE INDEX builds_results ON builds (results);
CREATE INDEX builds_slave ON builds (slave);

CREATE TABLE steps (
	id		INTEGER PRIMARY KEY,
	build_id	INTEGER NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	number		INTEGER NOT NULL,
	name		TEXT,
	started_at	REAL,
	finished_at	REAL,
	results		INTEGER,
	text		TEXT,
	text2		TEXT,
	urls		TEXT,
	statistics	TEXT,
	hidden		INTEGER NOT NULL CHECK (hidden IN (0, 1)),
	skipped		INTEGER NOT NULL CHECK (skipped IN (0, 1)),
	UNIQUE (build_id, number)
);
CREATE INDEX steps_name ON steps (name);

CREATE TABLE logs (
	id		INTEGER PRIMARY KEY,
	step_id		INTEGER NOT NULL
			    REFERENCES steps (id) ON DELETE CASCADE,
	number		INTEGER NOT NULL,
	name		TEXT,
	filename	TEXT,
	kind		TEXT NOT NULL
			    CHECK (kind = 'text' OR kind = 'html'),
	state		TEXT NOT NULL
			    CHECK (state = 'none' OR state = 'stored' OR
			    state = 'missing' OR state = 'pruned'),
	store_key	TEXT,
	stored_bytes	INTEGER NOT NULL,
	text_bytes	INTEGER NOT NULL,
	lines		INTEGER NOT NULL,
	complete	INTEGER NOT NULL CHECK (complete IN (0, 1)),
	UNIQUE (step_id, number)
);
CREATE INDEX logs_store_key ON logs (store_key);

CREATE TABLE build_properties (
	build_id	INTEGER NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (build_id, name)
) WITHOUT ROWID;

CREATE TABLE sourcestamps (
	id		INTEGER PRIMARY KEY,
	build_id	INTEGER NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	number		INTEGER NOT NULL,
	branch		TEXT,
	revision	TEXT,
	repository	TEXT,
	project		TEXT,
	codebase	TEXT,
	patch_level	INTEGER,
	patch_body	BLOB,
	patch_subdir	TEXT,
	patch_author	TEXT,
	patch_comment	TEXT,
	UNIQUE (build_id, number)
);
CREATE INDEX sourcestamps_revision ON sourcestamps (revision);

CREATE TABLE changes (
	id		INTEGER PRIMARY KEY,
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	identity	TEXT NOT NULL,
	number		INTEGER NOT NULL,
	author		TEXT,
	comments	TEXT,
	branch		TEXT,
	revision	TEXT,
	revlink		TEXT,
	category	TEXT,
	repository	TEXT,
	project		TEXT,
	codebase	TEXT,
	when_at		REAL,
	is_dir		INTEGER NOT NULL CHECK (is_dir IN (0, 1)),
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL,
	UNIQUE (master_id, identity)
);
CREATE INDEX changes_revision ON changes (revision);
CREATE INDEX changes_branch ON changes (branch);
CREATE INDEX changes_master_number ON changes (master_id, number);

CREATE TABLE change_files (
	change_id	INTEGER NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	filename	TEXT NOT NULL
);
CREATE INDEX change_files_change ON change_files (change_id);
CREATE INDEX change_files_filename ON change_files (filename);

CREATE TABLE change_properties (
	change_id	INTEGER NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (change_id, name)
) WITHOUT ROWID;

CREATE TABLE build_changes (
	build_id	INTEGER NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	change_id	INTEGER NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	PRIMARY KEY (build_id, change_id)
) WITHOUT ROWID;
CREATE INDEX build_changes_change ON build_changes (change_id);

CREATE TABLE sourcestamp_changes (
	sourcestamp_id	INTEGER NOT NULL
			    REFERENCES sourcestamps (id) ON DELETE CASCADE,
	change_id	INTEGER NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	PRIMARY KEY (sourcestamp_id, change_id)
) WITHOUT ROWID;
CREATE INDEX sourcestamp_changes_change ON sourcestamp_changes (change_id);

CREATE TABLE buildsets (
	id		INTEGER PRIMARY KEY,
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	bsid		INTEGER NOT NULL,
	external_idstring TEXT,
	reason		TEXT,
	submitted_at	REAL,
	complete	INTEGER NOT NULL CHECK (complete IN (0, 1)),
	complete_at	REAL,
	results		INTEGER,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL,
	UNIQUE (master_id, bsid)
);

CREATE TABLE buildset_properties (
	buildset_id	INTEGER NOT NULL
			    REFERENCES buildsets (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (buildset_id, name)
) WITHOUT ROWID;

CREATE TABLE buildrequests (
	id		INTEGER PRIMARY KEY,
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	brid		INTEGER NOT NULL,
	bsid		INTEGER,
	buildset_id	INTEGER
			    REFERENCES buildsets (id) ON DELETE SET NULL,
	builder_name	TEXT,
	priority	INTEGER,
	submitted_at	REAL,
	claimed_at	REAL,
	claimed_by	TEXT,
	complete	INTEGER NOT NULL CHECK (complete IN (0, 1)),
	complete_at	REAL,
	results		INTEGER,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL,
	UNIQUE (master_id, brid)
);
CREATE INDEX buildrequests_buildset ON buildrequests (buildset_id);

CREATE TABLE build_requests (
	build_id	INTEGER NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	buildrequest_id	INTEGER NOT NULL
			    REFERENCES buildrequests (id) ON DELETE CASCADE,
	PRIMARY KEY (build_id, buildrequest_id)
) WITHOUT ROWID;
CREATE INDEX build_requests_request ON build_requests (buildrequest_id);

CREATE TABLE import_files (
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	path		TEXT NOT NULL,
	size		INTEGER NOT NULL,
	mtime		INTEGER NOT NULL,
	digest		TEXT,
	build_id	INTEGER
			    REFERENCES builds (id) ON DELETE SET NULL,
	imported_at	REAL NOT NULL,
	PRIMARY KEY (master_id, path)
) WITHOUT ROWID;
CREATE INDEX import_files_build ON import_files (build_id);
