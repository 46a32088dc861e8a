-- 0004: which tend run holds the database. Until several replicas are
-- designed, one `tend run` at a time may use a database; a second one exits
-- at once naming this one. Readers (tend check, report, backup) never take
-- it. At most one row (id 1). token tells this holder's row from an earlier
-- process with the same pid (a restarted container is pid 1 again).
-- Times are UTC Unix seconds.
CREATE TABLE holder (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	pid          INTEGER NOT NULL,
	host         TEXT    NOT NULL,
	started_at   INTEGER NOT NULL,
	heartbeat_at INTEGER NOT NULL,
	token        TEXT    NOT NULL
);
