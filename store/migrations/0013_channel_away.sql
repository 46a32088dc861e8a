-- 0013: "away" for people who take part from a group's channel without a
-- roster entry (an open group's members). A roster entry keeps its date
-- in members.away_until; this table holds only the others, so that
-- marking oneself away never puts anyone on a roster (which would change
-- capacity, roster lists and admission). until is the Unix time the
-- person is back; a row whose time passed means nothing.
CREATE TABLE channel_away (
	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id  TEXT    NOT NULL,
	until    INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
