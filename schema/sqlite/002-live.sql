-- bbmirror schema version 2 (SQLite dialect): what the live listener
-- (bbmirrord) needs beyond the history the importer writes.
--
-- Same conventions as 001-initial.sql (portable by mechanical translation,
-- times as epoch seconds, flags as 0/1, CHECKs on a list of values written
-- with OR). schema/README.md describes every table and column. Rows of
-- version 1 stay as they are: the new builder columns start NULL.

-- The builder's current state as the master last reported it, and when it
-- was entered. Kept out of builder_events, which is the master's own list.
-- Not CHECKed: 0.7/0.8 masters report 'offline', 'idle', 'building' (and
-- bbmirror writes 'removed'), but a master's own code may add others.
ALTER TABLE builders ADD COLUMN state TEXT;
ALTER TABLE builders ADD COLUMN state_at REAL;

CREATE TABLE slaves (
	id		INTEGER PRIMARY KEY,
	master_id	INTEGER NOT NULL
			    REFERENCES masters (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	connected	INTEGER NOT NULL CHECK (connected IN (0, 1)),
	paused		INTEGER NOT NULL CHECK (paused IN (0, 1)),
	connected_at	REAL,
	disconnected_at	REAL,
	origin		TEXT NOT NULL
			    CHECK (origin = 'import' OR origin = 'live' OR
			    origin = 'push'),
	updated_at	REAL NOT NULL,
	UNIQUE (master_id, name)
);

-- The listener's bookkeeping, not history: the last event applied per
-- master (written in the transaction that applies the events) ...
CREATE TABLE live_masters (
	master_id	INTEGER PRIMARY KEY
			    REFERENCES masters (id) ON DELETE CASCADE,
	last_seq	INTEGER NOT NULL CHECK (last_seq >= 0),
	updated_at	REAL NOT NULL
);

-- ... and the state of each log still growing: the committed size of its
-- log-store file and the master's unwritten output run. A row goes with
-- its log (re-storing a build keeps log ids, so it survives that).
CREATE TABLE live_logs (
	log_id		INTEGER PRIMARY KEY
			    REFERENCES logs (id) ON DELETE CASCADE,
	store_size	INTEGER NOT NULL CHECK (store_size >= 0),
	channel		INTEGER CHECK (channel >= 0 AND channel <= 9),
	run_bytes	INTEGER NOT NULL CHECK (run_bytes >= 0),
	pending		BLOB
);
