-- 0001: groups, members, facilitators, audit log, settings, durable jobs and
-- the outbox. Times are UTC Unix seconds (INTEGER). Append-only: change the
-- schema with a new numbered file, never by editing this one.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
