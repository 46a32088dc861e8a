-- 0001: groups, members, facilitators, audit log, settings, durable jobs and
-- the outbox. Times are UTC Unix seconds (INTEGER). Append-only: change the
-- schema with a new numbered file, never by editing this one.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

-- A group is bound to one channel on one platform; its name is how
-- commands from elsewhere (group:NAME) and the config file refer to it.
CREATE TABLE groups (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE,
	platform   TEXT    NOT NULL,
	channel    TEXT    NOT NULL,
	guild      TEXT    NOT NULL DEFAULT '',
	kind       TEXT    NOT NULL,
	admission  TEXT    NOT NULL,
	capacity   INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0), -- 0: no limit
	timezone   TEXT    NOT NULL,
	privacy    TEXT    NOT NULL,
	source     TEXT    NOT NULL CHECK (source IN ('config', 'chat')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (platform, channel)
);

-- Principals ("discord:123", "role:456") who may run facilitator commands.
CREATE TABLE group_facilitators (
	group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	principal TEXT    NOT NULL,
	PRIMARY KEY (group_id, principal)
) WITHOUT ROWID;

-- A member is a platform account (user_id), a code-only roster entry
-- (code), or an account with a roster code. Removed members keep their row
-- (status 'removed') so that attendance history still has someone to name;
-- adding them again revives the row.
CREATE TABLE members (
	id         INTEGER PRIMARY KEY,
	group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id    TEXT,                       -- NULL for a code-only entry
	code       TEXT,                       -- NULL when none
	name       TEXT    NOT NULL DEFAULT '',
	status     TEXT    NOT NULL CHECK (status IN ('active', 'waitlisted', 'removed')),
	away_until INTEGER NOT NULL DEFAULT 0,
	added_at   INTEGER NOT NULL,
	CHECK (user_id IS NOT NULL OR code IS NOT NULL)
);
CREATE UNIQUE INDEX members_group_user ON members (group_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX members_group_code ON members (group_id, code) WHERE code IS NOT NULL;

-- Facilitator actions, without content. Entries outlive the group they name.
CREATE TABLE audit_log (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	group_id INTEGER REFERENCES groups (id) ON DELETE SET NULL, -- NULL: not about one group
	actor    TEXT    NOT NULL,
	action   TEXT    NOT NULL,
	detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_group_at ON audit_log (group_id, at);

-- Durable due work. The runner claims pending jobs whose due_at has come,
-- earliest first; (state, due_at) serves both the claim and the next-due
-- lookup.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY,
	kind        TEXT    NOT NULL,
	key         TEXT    NOT NULL UNIQUE,
	group_id    INTEGER REFERENCES groups (id) ON DELETE CASCADE, -- NULL: not about one group
	due_at      INTEGER NOT NULL,
	payload     BLOB,
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'missed', 'skipped', 'failed')),
	attempts    INTEGER NOT NULL DEFAULT 0,
	note        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state_due ON jobs (state, due_at);

-- One row per keyed delivery (a post or DM), so that each is made once.
CREATE TABLE outbox (
	key        TEXT    PRIMARY KEY,
	platform   TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	state      TEXT    NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
	channel    TEXT    NOT NULL DEFAULT '',
	message_id TEXT    NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0,
	error      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
