-- 0011: the history of tend runs over this database, so that a reminder
-- missed after a restart can say whether tend was running when it came due
-- (an earlier process may have been, and failed to post it) or not. One row
-- per `tend run` that took the database: when it started and its last
-- heartbeat (its last sign of life; the time it stopped, when it stopped
-- cleanly). Rows older than 90 days are pruned when a run starts. Times are
-- UTC Unix seconds.
CREATE TABLE runs (
	id           INTEGER PRIMARY KEY,
	pid          INTEGER NOT NULL,
	host         TEXT    NOT NULL,
	started_at   INTEGER NOT NULL,
	heartbeat_at INTEGER NOT NULL
);
CREATE INDEX runs_heartbeat ON runs (heartbeat_at);
