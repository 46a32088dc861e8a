-- 0015: a series whose first sessions are not stored yet. A config file's
-- first start stores each group's series and only the sessions whose
-- reminders come within the next hours; for the others, ahead_at says by
-- when their first sessions (and those sessions' jobs) must be stored, and
-- one job sweeps the series whose time has come. 0: nothing deferred —
-- the series' sessions are stored, or it is paused or over.
ALTER TABLE series ADD COLUMN ahead_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX series_ahead ON series (ahead_at) WHERE ahead_at > 0;
