-- 0005: norms — a group's agreements, versioned; who agreed to which version and
-- when; the group's choices about them; and the newcomers waiting to be
-- given access. Times are UTC Unix seconds.

-- Every change to a group's norms is a new version; earlier ones are kept
-- so that an agreement always names the text agreed to.
CREATE TABLE norms_versions (
	group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	version    INTEGER NOT NULL CHECK (version >= 1),
	items      TEXT    NOT NULL,             -- JSON array of the agreements, in order
	author     TEXT    NOT NULL,             -- principal, "system:config" for the file
	source     TEXT    NOT NULL DEFAULT '',  -- "template:support", "edit", "config"
	created_at INTEGER NOT NULL,
	PRIMARY KEY (group_id, version)
) WITHOUT ROWID;

-- One row per member and version agreed to; agreeing again changes nothing.
CREATE TABLE norms_acks (
	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	version  INTEGER NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id, version)
) WITHOUT ROWID;

-- A group's choices about its norms. from_file lists the settings the
-- config file declares (comma-separated), which chat does not change;
-- file_text fingerprints the text the file gave when last applied.
CREATE TABLE norms_settings (
	group_id       INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
	require        INTEGER NOT NULL DEFAULT 0,
	role           TEXT    NOT NULL DEFAULT '',
	repost         TEXT    NOT NULL DEFAULT 'never' CHECK (repost IN ('never', 'each_session')),
	lobby_channel  TEXT    NOT NULL DEFAULT '',
	from_file      TEXT    NOT NULL DEFAULT '',
	file_text      TEXT    NOT NULL DEFAULT '',
	pinned_channel TEXT    NOT NULL DEFAULT '',
	pinned_message TEXT    NOT NULL DEFAULT '',
	updated_at     INTEGER NOT NULL
);
-- Newcomers arrive in a lobby channel: which groups is it the lobby of?
CREATE INDEX norms_settings_lobby ON norms_settings (lobby_channel) WHERE lobby_channel != '';

-- Newcomers to groups that require agreement: welcomed, waiting for access,
-- admitted or gone. round counts arrivals, each with its own welcome.
CREATE TABLE norms_applicants (
	group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id     TEXT    NOT NULL,
	guild       TEXT    NOT NULL DEFAULT '',
	round       INTEGER NOT NULL DEFAULT 1,
	state       TEXT    NOT NULL CHECK (state IN ('waiting', 'admitted', 'gone')),
	pending     INTEGER NOT NULL DEFAULT 0,  -- Discord rules screening, as last reported
	dm_closed   INTEGER NOT NULL DEFAULT 0,
	waitlisted  INTEGER NOT NULL DEFAULT 0,  -- the group was full when they arrived
	joined_at   INTEGER NOT NULL,
	admitted_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
