-- 0012: people who asked tend to forget them, without naming them.
--
-- After "forget", tend must not count, ask or message the person again
-- on its own, even while they stay in the group's channel. A marker says
-- so without naming anybody: mark is HMAC-SHA256 (with the random key in
-- settings "optout_key", which never leaves the database) of the
-- platform, the scope and the account id. group_id 0 is every group on
-- the platform (the member's own request); another is one group (a
-- facilitator's erasure). Nothing else about the person is kept.
CREATE TABLE optouts (
	mark     TEXT    PRIMARY KEY,
	platform TEXT    NOT NULL,
	group_id INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX optouts_scope ON optouts (platform, group_id);
