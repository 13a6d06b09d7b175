-- bbmirror schema version 2 (PostgreSQL dialect): what the live listener
-- (bbmirrord) needs beyond the history the importer writes.
--
-- The twin of schema/sqlite/002-live.sql, translated as 001-initial.sql.
-- schema/README.md describes every table and column. Rows of version 1
-- stay as they are: the new builder columns start NULL.

-- The builder's current state as the master last reported it, and when it
-- was entered. Kept out of builder_events, which is the master's own list.
-- Not CHECKed: 0.7/0.8 masters report 'offline', 'idle', 'building' (and
-- bbmirror writes 'removed'), but a master's own code may add others.
ALTER TABLE builders ADD COLUMN state TEXT;
ALTER TABLE builders ADD COLUMN state_at DOUBLE PRECISION;

CREATE TABLE slaves (
	id		BIGSERIAL PRIMARY KEY,
	master_id	BIGINT NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	connected	BIGINT NOT NULL CHECK (connected IN (0, 1)),
	paused		BIGINT NOT NULL CHECK (paused IN (0, 1)),
	connected_at	DOUBLE PRECISION,
	disconnected_at	DOUBLE PRECISION,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	DOUBLE PRECISION NOT NULL,
	UNIQUE (master_id, name)
);

-- The listener's bookkeeping, not history: the last event applied per
-- master (written in the transaction that applies the events) ...
CREATE TABLE live_masters (
	master_id	BIGINT PRIMARY KEY
			    REFERENCES masters (id) ON DELETE CASCADE,
	last_seq	BIGINT NOT NULL CHECK (last_seq >= 0),
	updated_at	DOUBLE PRECISION NOT NULL
);

-- ... and the state of each log still growing: the committed size of its
-- log-store file and the master's unwritten output run. A row goes with
-- its log (re-storing a build keeps log ids, so it survives that).
CREATE TABLE live_logs (
	log_id		BIGINT PRIMARY KEY
			    REFERENCES logs (id) ON DELETE CASCADE,
	store_size	BIGINT NOT NULL CHECK (store_size >= 0),
	channel		BIGINT CHECK (channel >= 0 AND channel <= 9),
	run_bytes	BIGINT NOT NULL CHECK (run_bytes >= 0),
	pending		BYTEA
);
