-- 0002: reminders — a series per group, its materialised sessions, RSVPs
-- and opt-in DM reminders. Times are UTC Unix seconds. Only the next
-- session(s) of a series are stored ahead; the jobs table holds their due
-- work. Members' away_until lives in 0001's members table.
CREATE TABLE series (
	group_id      INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
	cron          TEXT    NOT NULL DEFAULT '',
	weekly        TEXT    NOT NULL DEFAULT '',
	duration_s    INTEGER NOT NULL CHECK (duration_s > 0),
	starts        TEXT    NOT NULL,            -- YYYY-MM-DD in the group's zone
	until         TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD; '' none
	count         INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0), -- 0: unbounded
	topics        TEXT    NOT NULL DEFAULT '[]', -- JSON array, topic per session number
	link          TEXT    NOT NULL DEFAULT '',
	voice_channel TEXT    NOT NULL DEFAULT '',
	leads         TEXT    NOT NULL DEFAULT '86400,3600', -- seconds, comma-separated
	rsvp          INTEGER NOT NULL DEFAULT 1,
	dm            INTEGER NOT NULL DEFAULT 0,
	starting_now  INTEGER NOT NULL DEFAULT 0,
	paused        INTEGER NOT NULL DEFAULT 0,
	source        TEXT    NOT NULL DEFAULT 'chat',
	-- generation changes with each new schedule, so that sessions of an
	-- earlier schedule are told apart and never numbered into the new one.
	generation    INTEGER NOT NULL DEFAULT 1,
	updated_at    INTEGER NOT NULL
);

-- One occurrence. planned_at is the occurrence the series computed (kept
-- when a session is moved), so that the next is computed from the plan, not
-- from a moved time. A moved session is a new row whose moved_from names
-- the cancelled original, so its due work has new keys.
CREATE TABLE sessions (
	id            INTEGER PRIMARY KEY,
	group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	generation    INTEGER NOT NULL,
	number        INTEGER NOT NULL CHECK (number >= 1),
	planned_at    INTEGER NOT NULL,
	start_at      INTEGER NOT NULL,
	end_at        INTEGER NOT NULL,
	topic         TEXT    NOT NULL DEFAULT '',
	status        TEXT    NOT NULL CHECK (status IN ('scheduled', 'cancelled', 'running', 'done')),
	link          TEXT    NOT NULL DEFAULT '',
	voice_channel TEXT    NOT NULL DEFAULT '',
	moved_from    INTEGER REFERENCES sessions (id) ON DELETE SET NULL, -- NULL: not moved
	CHECK (end_at > start_at)
);
CREATE UNIQUE INDEX sessions_planned ON sessions (group_id, generation, number) WHERE moved_from IS NULL;
CREATE UNIQUE INDEX sessions_moved ON sessions (moved_from) WHERE moved_from IS NOT NULL;
CREATE INDEX sessions_group_start ON sessions (group_id, start_at);

-- A member's answer for a session. 'no' is an excused absence recorded in
-- advance; attendance reads it.
CREATE TABLE rsvps (
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	answer     TEXT    NOT NULL CHECK (answer IN ('yes', 'no')),
	at         INTEGER NOT NULL,
	PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;

-- Members who asked for reminders by DM.
CREATE TABLE reminder_dms (
	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
