-- 0007: the outbox records when an attempt was handed to the platform.
--
-- A post or DM is prepared (its outbox attempt recorded) before it is due,
-- and waits for the platform's pacing before it goes out. An attempt that
-- never left the process cannot have been delivered, so after a crash only
-- an attempt that was handed over needs looking for on the platform.
-- handed_at is when the latest attempt whose outcome is unknown was handed
-- to the platform (UTC Unix seconds); 0 while no such attempt exists.
ALTER TABLE outbox ADD COLUMN handed_at INTEGER NOT NULL DEFAULT 0;

-- An entry still sending was written by an earlier version, which did not
-- record the hand-off: it may have been delivered, so look for it.
UPDATE outbox SET handed_at = max(created_at, 1) WHERE state = 'sending';
