-- bbmirror schema version 3 (PostgreSQL dialect): what serving and pruning
-- need (bbmirrord --http, HttpStatusPush ingest, log pruning).
--
-- The twin of schema/sqlite/003-serve.sql. The SQLite triggers become
-- PL/pgSQL functions called by row triggers of the same names and
-- conditions; "INSERT OR IGNORE" becomes ON CONFLICT DO NOTHING and
-- strftime('%s', 'now') the statement's time in whole seconds.
-- schema/README.md describes every table and column. Rows of version 2
-- stay as they are.

-- When bbmirror pruned a log's content (state 'pruned', a tombstone: the
-- row and its counts stay, store_key becomes NULL). NULL for other logs.
ALTER TABLE logs ADD COLUMN pruned_at DOUBLE PRECISION;

-- Log-store keys no row references any more, to be removed from the log
-- store: a log re-stored under a new key (a build imported again, a live
-- log packed when it finished), a log or build deleted. Filled by the
-- triggers below in the transaction that drops the reference, emptied by
-- the pruner once the content is removed (after a grace period, so that a
-- reader that fetched the old key just before can still finish).
CREATE TABLE log_garbage (
	store_key	TEXT PRIMARY KEY,
	since		DOUBLE PRECISION NOT NULL
);

-- OLD.store_key is no longer referenced by this row.
CREATE FUNCTION bbm_log_key_dropped() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO log_garbage (store_key, since)
	    VALUES (OLD.store_key,
	    floor(extract(epoch FROM statement_timestamp()))::float8)
	    ON CONFLICT DO NOTHING;
	RETURN NULL;
END;
$$;

-- NEW.store_key is referenced (again).
CREATE FUNCTION bbm_log_key_used() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM log_garbage WHERE store_key = NEW.store_key;
	RETURN NULL;
END;
$$;

CREATE TRIGGER logs_key_replaced AFTER UPDATE OF store_key ON logs
	FOR EACH ROW
	WHEN (OLD.store_key IS NOT NULL AND
	    (NEW.store_key IS NULL OR NEW.store_key <> OLD.store_key))
	EXECUTE FUNCTION bbm_log_key_dropped();

CREATE TRIGGER logs_key_deleted AFTER DELETE ON logs
	FOR EACH ROW
	WHEN (OLD.store_key IS NOT NULL)
	EXECUTE FUNCTION bbm_log_key_dropped();

-- A key that is referenced again (the same file key of a live log that
-- was re-stored under it) is not garbage.
CREATE TRIGGER logs_key_reused AFTER UPDATE OF store_key ON logs
	FOR EACH ROW
	WHEN (NEW.store_key IS NOT NULL)
	EXECUTE FUNCTION bbm_log_key_used();

CREATE TRIGGER logs_key_inserted AFTER INSERT ON logs
	FOR EACH ROW
	WHEN (NEW.store_key IS NOT NULL)
	EXECUTE FUNCTION bbm_log_key_used();

-- HttpStatusPush packets already applied, by a digest of their whole text
-- (packet ids repeat after a master's reconfig: spec section 7), so a
-- packet the master sends again is applied once. Entries older than the
-- push window are deleted by the pruner.
CREATE TABLE push_packets (
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	digest		TEXT NOT NULL,
	received_at	DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (master_id, digest)
);
CREATE INDEX push_packets_received ON push_packets (received_at);

-- The pruner walks finished builds oldest first.
CREATE INDEX builds_finished_at ON builds (finished_at);
-- The API's build pages of one builder and its change pages by time.
CREATE INDEX builds_builder_started ON builds (builder_id, started_at);
CREATE INDEX changes_when_at ON changes (when_at);
