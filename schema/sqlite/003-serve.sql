-- bbmirror schema version 3 (SQLite dialect): what serving and pruning need
-- (bbmirrord --http, HttpStatusPush ingest, log pruning).
--
-- Same conventions as 001-initial.sql. schema/README.md describes every
-- table and column. Rows of version 2 stay as they are.

-- When bbmirror pruned a log's content (state 'pruned', a tombstone: the
-- row and its counts stay, store_key becomes NULL). NULL for other logs.
ALTER TABLE logs ADD COLUMN pruned_at REAL;

-- Log-store keys no row references any more, to be removed from the log
-- store: a log re-stored under a new key (a build imported again, a live
-- log packed when it finished), a log or build deleted. Filled by the
-- triggers below in the transaction that drops the reference, emptied by
-- the pruner once the content is removed (after a grace period, so that a
-- reader that fetched the old key just before can still finish).
CREATE TABLE log_garbage (
	store_key	TEXT PRIMARY KEY,
	since		REAL NOT NULL
);

CREATE TRIGGER logs_key_replaced AFTER UPDATE OF store_key ON logs
	WHEN old.store_key IS NOT NULL AND
	    (new.store_key IS NULL OR new.store_key <> old.store_key)
BEGIN
	INSERT OR IGNORE INTO log_garbage (store_key, since)
	    VALUES (old.store_key, CAST(strftime('%s', 'now') AS REAL));
END;

CREATE TRIGGER logs_key_deleted AFTER DELETE ON logs
	WHEN old.store_key IS NOT NULL
BEGIN
	INSERT OR IGNORE INTO log_garbage (store_key, since)
	    VALUES (old.store_key, CAST(strftime('%s', 'now') AS REAL));
END;

-- A key that is referenced again (the same file key of a live log that
-- was re-stored under it) is not garbage.
CREATE TRIGGER logs_key_reused AFTER UPDATE OF store_key ON logs
	WHEN new.store_key IS NOT NULL
BEGIN
	DELETE FROM log_garbage WHERE store_key = new.store_key;
END;

CREATE TRIGGER logs_key_inserted AFTER INSERT ON logs
	WHEN new.store_key IS NOT NULL
BEGIN
	DELETE FROM log_garbage WHERE store_key = new.store_key;
END;

-- HttpStatusPush packets already applied, by a digest of their whole text
-- (packet ids repeat after a master's reconfig: spec section 7), so a
-- packet the master sends again is applied once. Entries older than the
-- push window are deleted by the pruner.
CREATE TABLE push_packets (
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	digest		TEXT NOT NULL,
	received_at	REAL NOT NULL,
	PRIMARY KEY (master_id, digest)
);
CREATE INDEX push_packets_received ON push_packets (received_at);

-- The pruner walks finished builds oldest first.
CREATE INDEX builds_finished_at ON builds (finished_at);
-- The API's build pages of one builder and its change pages by time.
CREATE INDEX builds_builder_started ON builds (builder_id, started_at);
CREATE INDEX changes_when_at ON changes (when_at);
