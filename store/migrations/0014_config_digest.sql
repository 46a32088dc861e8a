-- 0014: each group declared in the config file keeps a digest of the
-- declaration it was last applied from (its settings, schedule and every
-- feature's section), so that a start with the same file skips the groups
-- whose declaration did not change. '' until recorded; any change to the
-- group made otherwise clears it, so that the next start applies it again.
ALTER TABLE groups ADD COLUMN config_digest TEXT NOT NULL DEFAULT '';
