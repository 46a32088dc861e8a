-- 0007: check-ins and safety alerts. Times are UTC Unix seconds.
--
-- Answers, the lists of who was asked and alerts are the most sensitive
-- rows tend keeps: they are deleted after the group's retention period
-- (checkin_settings.retention_days), leaving only the counts on each
-- check-in, without member ids.

-- A group's check-in choices. at_start and between are JSON specs ('' when
-- off); generation changes with the between-session schedule so that the
-- jobs of an earlier one stop.
CREATE TABLE checkin_settings (
	group_id         INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
	at_start         TEXT    NOT NULL DEFAULT '',
	between_sessions TEXT    NOT NULL DEFAULT '',
	share_tally      INTEGER NOT NULL DEFAULT 0,
	escalate_after_s INTEGER NOT NULL DEFAULT 600 CHECK (escalate_after_s > 0),
	retention_days   INTEGER NOT NULL DEFAULT 90 CHECK (retention_days > 0),
	source           TEXT    NOT NULL CHECK (source IN ('config', 'chat')),
	generation       INTEGER NOT NULL DEFAULT 1,
	updated_at       INTEGER NOT NULL
);

-- One asking of a check-in. key makes it idempotent ("start/<session>",
-- "between/<group>/<time>", "demand/<group>/<time>"). The counts and the
-- tally (JSON: answers per level or choice) are filled in when it closes
-- and outlive the answers.
CREATE TABLE checkins (
	id          INTEGER PRIMARY KEY,
	group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	session_id  INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
	origin      TEXT    NOT NULL CHECK (origin IN ('start', 'between', 'demand')),
	key         TEXT    NOT NULL UNIQUE,
	kind        TEXT    NOT NULL,
	prompt      TEXT    NOT NULL,
	choices     TEXT    NOT NULL DEFAULT '[]',
	delivery    TEXT    NOT NULL CHECK (delivery IN ('channel', 'dm')),
	nudge       INTEGER NOT NULL DEFAULT 0,
	opened_at   INTEGER NOT NULL,
	closes_at   INTEGER NOT NULL,
	closed_at   INTEGER NOT NULL DEFAULT 0,
	asked       INTEGER NOT NULL DEFAULT 0,
	answered    INTEGER NOT NULL DEFAULT 0,
	passed      INTEGER NOT NULL DEFAULT 0,
	tally       TEXT    NOT NULL DEFAULT '{}',
	purged_at   INTEGER NOT NULL DEFAULT 0,
	CHECK (closes_at > opened_at)
);
CREATE INDEX checkins_group_opened ON checkins (group_id, opened_at);

-- Who was asked, for "did not answer", the nudge and the undeliverable.
CREATE TABLE checkin_asked (
	checkin_id INTEGER NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('sent', 'undeliverable', 'gone')),
	nudged     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (checkin_id, user_id)
) WITHOUT ROWID;

-- One answer per member and check-in; answering again replaces it while
-- the check-in is open. level: see bot.CheckInAnswer.
CREATE TABLE checkin_answers (
	checkin_id INTEGER NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	level      INTEGER NOT NULL DEFAULT 0,
	text       TEXT    NOT NULL DEFAULT '',
	pass       INTEGER NOT NULL DEFAULT 0,
	at         INTEGER NOT NULL,
	PRIMARY KEY (checkin_id, user_id)
) WITHOUT ROWID;

-- Members who were told, with their first check-in, who sees answers, that
-- words of risk alert a facilitator, how long answers are kept and whether
-- anyone watches around the clock.
CREATE TABLE checkin_informed (
	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

-- A safety alert: one member's situation, told to the facilitators (the
-- owners when group_id is NULL). latest_words is what the member last
-- wrote; it is never logged and is deleted with the alert.
CREATE TABLE safety_alerts (
	id            INTEGER PRIMARY KEY,
	group_id      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
	platform      TEXT    NOT NULL,
	user_id       TEXT    NOT NULL,
	opened_at     INTEGER NOT NULL,
	last_at       INTEGER NOT NULL,
	signals       INTEGER NOT NULL DEFAULT 1,
	families      TEXT    NOT NULL DEFAULT '[]',
	latest_source TEXT    NOT NULL,
	latest_words  TEXT    NOT NULL DEFAULT '',
	latest_level  TEXT    NOT NULL DEFAULT '',
	taken_by      TEXT    NOT NULL DEFAULT '',
	taken_at      INTEGER NOT NULL DEFAULT 0,
	stage         INTEGER NOT NULL DEFAULT 1
);
-- The open alert of a member, found by who and when.
CREATE INDEX safety_alerts_member ON safety_alerts (platform, user_id, group_id, last_at);
CREATE INDEX safety_alerts_last ON safety_alerts (last_at);
