-- 0010: calendar feed links.
--
-- A calendar link is given to one person for one group: its token is
-- random (256 bits) and only its SHA-256 is kept, so that the database
-- (or a backup of it) never holds a working link. Asking again replaces
-- that person's link; a facilitator's rotation removes every link of the
-- group; a member who leaves loses theirs. user_id is who it was given to
-- (a platform account), so that erasing a person erases their link.
CREATE TABLE calendar_links (
	token_hash BLOB    PRIMARY KEY,
	group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id    TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX calendar_links_user ON calendar_links (group_id, user_id);
