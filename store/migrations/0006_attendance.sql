-- attendance: each group's attendance settings, the evidence of presence
-- gathered during a session (the "I'm here" button, check-in answers, time
-- in the voice channel), the marks computed when a session ends or given by
-- a facilitator, the sessions already closed, the drift alerts raised, and
-- the erasures made for members who asked to be forgotten. Times are UTC
-- Unix seconds.
--
-- A person is named in these tables by who: 'u:<user id>' for a platform
-- account, 'm:<member id>' for a code-only roster entry; user_id and
-- member_id repeat it so that erasure and reports find rows by either.

-- A group's attendance section from the config file; a group without a row
-- uses the defaults.
CREATE TABLE attendance_settings (
	group_id      INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
	enabled       INTEGER NOT NULL DEFAULT 1,
	button        INTEGER NOT NULL DEFAULT 1,
	voice_channel TEXT    NOT NULL DEFAULT '', -- '': the series' voice channel
	min_minutes   INTEGER NOT NULL DEFAULT 10 CHECK (min_minutes >= 1),
	late_after_s  INTEGER NOT NULL DEFAULT 600 CHECK (late_after_s >= 0),
	alert_after   INTEGER NOT NULL DEFAULT 2 CHECK (alert_after >= 0), -- 0: no alert
	missed_you_dm INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL
);

-- The first time a person showed presence at a session, by source.
CREATE TABLE attendance_presence (
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	who        TEXT    NOT NULL,
	user_id    TEXT,
	member_id  INTEGER REFERENCES members (id) ON DELETE CASCADE,
	source     TEXT    NOT NULL CHECK (source IN ('button', 'checkin')),
	at         INTEGER NOT NULL,
	PRIMARY KEY (session_id, who, source)
) WITHOUT ROWID;

-- The voice channel a running session watches, so that a voice event finds
-- its session by channel without scanning sessions; deleted when the
-- session closes.
CREATE TABLE attendance_voice_watch (
	session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	platform   TEXT    NOT NULL,
	channel    TEXT    NOT NULL,
	until      INTEGER NOT NULL
);
CREATE INDEX attendance_voice_watch_channel ON attendance_voice_watch (platform, channel);

-- Time in the session's voice channel: one row per stay, left_at 0 while
-- the person is still there.
CREATE TABLE attendance_voice (
	id         INTEGER PRIMARY KEY,
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	joined_at  INTEGER NOT NULL,
	left_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attendance_voice_session ON attendance_voice (session_id, user_id);

-- One mark per person and session: computed when the session ends, or
-- given by a facilitator (before or after the end; a facilitator's mark
-- wins). name keeps a display name for a channel member who is not on the
-- roster.
CREATE TABLE attendance (
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	who        TEXT    NOT NULL,
	user_id    TEXT,
	member_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
	status     TEXT    NOT NULL CHECK (status IN ('present', 'late', 'excused', 'absent')),
	source     TEXT    NOT NULL,
	at         INTEGER NOT NULL DEFAULT 0,
	marked_by  TEXT    NOT NULL DEFAULT '',
	name       TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (session_id, who)
) WITHOUT ROWID;
CREATE INDEX attendance_group_who ON attendance (group_id, who);

-- Sessions whose marks were computed (once: a rerun after a crash finds the
-- row and only repeats the messages, which the outbox keeps to once).
CREATE TABLE attendance_closed (
	session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	closed_at  INTEGER NOT NULL
);

-- A member flagged for missing sessions in a row: once per streak, which
-- is named by its first missed session.
CREATE TABLE attendance_alerts (
	group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	who         TEXT    NOT NULL,
	user_id     TEXT,
	member_id   INTEGER REFERENCES members (id) ON DELETE CASCADE,
	streak_from INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, -- where it was flagged
	at          INTEGER NOT NULL,
	PRIMARY KEY (group_id, who, streak_from)
) WITHOUT ROWID;

-- Erasures ("forget"): numbered, without anything about the person. Audit
-- lines that named them read "erased member #<id>".
CREATE TABLE erasures (
	id             INTEGER PRIMARY KEY,
	at             INTEGER NOT NULL,
	by_facilitator INTEGER NOT NULL DEFAULT 0,
	rows           INTEGER NOT NULL DEFAULT 0
);
