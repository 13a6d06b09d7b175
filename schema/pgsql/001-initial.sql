-- bbmirror schema version 1 (PostgreSQL dialect).
--
-- The twin of schema/sqlite/001-initial.sql: the same tables, columns,
-- constraints and indexes, translated mechanically (INTEGER PRIMARY KEY ->
-- BIGSERIAL PRIMARY KEY, INTEGER -> BIGINT, REAL -> DOUBLE PRECISION,
-- BLOB -> BYTEA, WITHOUT ROWID dropped). Times are epoch seconds, NULL
-- when unknown; JSON columns hold compact JSON text with sorted keys, kept
-- as TEXT so that a reader gets back exactly the bytes written on either
-- engine (cast with ::jsonb to query inside them); flags are 0/1 integers.
-- The store runs this file in one transaction and then records the version
-- in schema_version. schema/README.md describes every table and column.

CREATE TABLE schema_version (
	version		BIGINT NOT NULL,
	applied_at	DOUBLE PRECISION NOT NULL
);

CREATE TABLE result_codes (
	code		BIGINT PRIMARY KEY,
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
	id		BIGSERIAL PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	basedir		TEXT,
	created_at	DOUBLE PRECISION NOT NULL
);

CREATE TABLE builders (
	id		BIGSERIAL PRIMARY KEY,
	master_id	BIGINT NOT NULL
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
	updated_at	DOUBLE PRECISION NOT NULL,
	UNIQUE (master_id, name)
);

CREATE TABLE builder_events (
	id		BIGSERIAL PRIMARY KEY,
	builder_id	BIGINT NOT NULL
			    REFERENCES builders (id) ON DELETE CASCADE,
	number		BIGINT NOT NULL,
	started_at	DOUBLE PRECISION,
	finished_at	DOUBLE PRECISION,
	text		TEXT,
	UNIQUE (builder_id, number)
);

-- Identity is (builder_id, number, started_at), with NULL started_at
-- matching NULL: the store enforces it (NULLs are distinct in UNIQUE), so
-- the index on (builder_id, number) is deliberately not unique.
CREATE TABLE builds (
	id		BIGSERIAL PRIMARY KEY,
	builder_id	BIGINT NOT NULL
			    REFERENCES builders (id) ON DELETE CASCADE,
	number		BIGINT NOT NULL,
	started_at	DOUBLE PRECISION,
	finished_at	DOUBLE PRECISION,
	complete	BIGINT NOT NULL CHECK (complete IN (0, 1)),
	results		BIGINT,
	text		TEXT,
	reason		TEXT,
	slave		TEXT,
	blamelist	TEXT,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	DOUBLE PRECISION NOT NULL
);
CREATE INDEX builds_builder_number ON builds (builder_id, number);
CREATE INDEX builds_started_at ON builds (started_at);
CREATE INDEX builds_results ON builds (results);
CREATE INDEX builds_slave ON builds (slave);

CREATE TABLE steps (
	id		BIGSERIAL PRIMARY KEY,
	build_id	BIGINT NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	number		BIGINT NOT NULL,
	name		TEXT,
	started_at	DOUBLE PRECISION,
	finished_at	DOUBLE PRECISION,
	results		BIGINT,
	text		TEXT,
	text2		TEXT,
	urls		TEXT,
	statistics	TEXT,
	hidden		BIGINT NOT NULL CHECK (hidden IN (0, 1)),
	skipped		BIGINT NOT NULL CHECK (skipped IN (0, 1)),
	UNIQUE (build_id, number)
);
CREATE INDEX steps_name ON steps (name);

CREATE TABLE logs (
	id		BIGSERIAL PRIMARY KEY,
	step_id		BIGINT NOT NULL
			    REFERENCES steps (id) ON DELETE CASCADE,
	number		BIGINT NOT NULL,
	name		TEXT,
	filename	TEXT,
	kind		TEXT NOT NULL
			    CHECK (kind = 'text' OR kind = 'html'),
	state		TEXT NOT NULL
			    CHECK (state = 'none' OR state = 'stored' OR
			    state = 'missing' OR state = 'pruned'),
	store_key	TEXT,
	stored_bytes	BIGINT NOT NULL,
	text_bytes	BIGINT NOT NULL,
	lines		BIGINT NOT NULL,
	complete	BIGINT NOT NULL CHECK (complete IN (0, 1)),
	UNIQUE (step_id, number)
);
CREATE INDEX logs_store_key ON logs (store_key);

CREATE TABLE build_properties (
	build_id	BIGINT NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (build_id, name)
);

CREATE TABLE sourcestamps (
	id		BIGSERIAL PRIMARY KEY,
	build_id	BIGINT NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	number		BIGINT NOT NULL,
	branch		TEXT,
	revision	TEXT,
	repository	TEXT,
	project		TEXT,
	codebase	TEXT,
	patch_level	BIGINT,
	patch_body	BYTEA,
	patch_subdir	TEXT,
	patch_author	TEXT,
	patch_comment	TEXT,
	UNIQUE (build_id, number)
);
CREATE INDEX sourcestamps_revision ON sourcestamps (revision);

CREATE TABLE changes (
	id		BIGSERIAL PRIMARY KEY,
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	identity	TEXT NOT NULL,
	number		BIGINT NOT NULL,
	author		TEXT,
	comments	TEXT,
	branch		TEXT,
	revision	TEXT,
	revlink		TEXT,
	category	TEXT,
	repository	TEXT,
	project		TEXT,
	codebase	TEXT,
	when_at		DOUBLE PRECISION,
	is_dir		BIGINT NOT NULL CHECK (is_dir IN (0, 1)),
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	DOUBLE PRECISION NOT NULL,
	UNIQUE (master_id, identity)
);
CREATE INDEX changes_revision ON changes (revision);
CREATE INDEX changes_branch ON changes (branch);
CREATE INDEX changes_master_number ON changes (master_id, number);

CREATE TABLE change_files (
	change_id	BIGINT NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	filename	TEXT NOT NULL
);
CREATE INDEX change_files_change ON change_files (change_id);
CREATE INDEX change_files_filename ON change_files (filename);

CREATE TABLE change_properties (
	change_id	BIGINT NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (change_id, name)
);

CREATE TABLE build_changes (
	build_id	BIGINT NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	change_id	BIGINT NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	PRIMARY KEY (build_id, change_id)
);
CREATE INDEX build_changes_change ON build_changes (change_id);

CREATE TABLE sourcestamp_changes (
	sourcestamp_id	BIGINT NOT NULL
			    REFERENCES sourcestamps (id) ON DELETE CASCADE,
	change_id	BIGINT NOT NULL
			    REFERENCES changes (id) ON DELETE CASCADE,
	PRIMARY KEY (sourcestamp_id, change_id)
);
CREATE INDEX sourcestamp_changes_change ON sourcestamp_changes (change_id);

CREATE TABLE buildsets (
	id		BIGSERIAL PRIMARY KEY,
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	bsid		BIGINT NOT NULL,
	external_idstring TEXT,
	reason		TEXT,
	submitted_at	DOUBLE PRECISION,
	complete	BIGINT NOT NULL CHECK (complete IN (0, 1)),
	complete_at	DOUBLE PRECISION,
	results		BIGINT,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	DOUBLE PRECISION NOT NULL,
	UNIQUE (master_id, bsid)
);

CREATE TABLE buildset_properties (
	buildset_id	BIGINT NOT NULL
			    REFERENCES buildsets (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	value		TEXT,
	source		TEXT,
	PRIMARY KEY (buildset_id, name)
);

CREATE TABLE buildrequests (
	id		BIGSERIAL PRIMARY KEY,
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	brid		BIGINT NOT NULL,
	bsid		BIGINT,
	buildset_id	BIGINT
			    REFERENCES buildsets (id) ON DELETE SET NULL,
	builder_name	TEXT,
	priority	BIGINT,
	submitted_at	DOUBLE PRECISION,
	claimed_at	DOUBLE PRECISION,
	claimed_by	TEXT,
	complete	BIGINT NOT NULL CHECK (complete IN (0, 1)),
	complete_at	DOUBLE PRECISION,
	results		BIGINT,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	DOUBLE PRECISION NOT NULL,
	UNIQUE (master_id, brid)
);
CREATE INDEX buildrequests_buildset ON buildrequests (buildset_id);

CREATE TABLE build_requests (
	build_id	BIGINT NOT NULL
			    REFERENCES builds (id) ON DELETE CASCADE,
	buildrequest_id	BIGINT NOT NULL
			    REFERENCES buildrequests (id) ON DELETE CASCADE,
	PRIMARY KEY (build_id, buildrequest_id)
);
CREATE INDEX build_requests_request ON build_requests (buildrequest_id);

CREATE TABLE import_files (
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	path		TEXT NOT NULL,
	size		BIGINT NOT NULL,
	mtime		BIGINT NOT NULL,
	digest		TEXT,
	build_id	BIGINT
			    REFERENCES builds (id) ON DELETE SET NULL,
	imported_at	DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (master_id, path)
);
CREATE INDEX import_files_build ON import_files (build_id);
