-- 0003: a job knows its session, and job keys are namespaced by kind.
--
-- Until now a job belonged to a session only by the text of its key
-- (reminder/<id>/<lead>, start/<id>, end/<id>), so another feature's job
-- of a session was not skipped when the session was cancelled, moved or
-- paused, and did not show in its session log. session_id is the session
-- a job belongs to (NULL: none); deleting a session deletes its jobs.
ALTER TABLE jobs ADD COLUMN session_id INTEGER REFERENCES sessions (id) ON DELETE CASCADE;

-- The reminders feature's jobs of earlier versions: their session from the
-- key (when that session still exists), then the key prefixed with the
-- kind (keys are namespaced by kind: "<kind>/…"). The outbox keys of their
-- posts do not change.
UPDATE jobs SET session_id = (SELECT s.id FROM sessions s
		WHERE s.id = CAST(substr(jobs.key, 10, instr(substr(jobs.key, 10), '/') - 1) AS INTEGER))
	WHERE kind = 'reminders.reminder' AND key GLOB 'reminder/[0-9]*/*';
UPDATE jobs SET session_id = (SELECT s.id FROM sessions s WHERE s.id = CAST(substr(jobs.key, 7) AS INTEGER))
	WHERE kind = 'reminders.start' AND key GLOB 'start/[0-9]*';
UPDATE jobs SET session_id = (SELECT s.id FROM sessions s WHERE s.id = CAST(substr(jobs.key, 5) AS INTEGER))
	WHERE kind = 'reminders.end' AND key GLOB 'end/[0-9]*';
UPDATE jobs SET key = 'reminders.reminder/' || substr(key, 10) WHERE kind = 'reminders.reminder' AND key GLOB 'reminder/*';
UPDATE jobs SET key = 'reminders.start/' || substr(key, 7) WHERE kind = 'reminders.start' AND key GLOB 'start/*';
UPDATE jobs SET key = 'reminders.end/' || substr(key, 5) WHERE kind = 'reminders.end' AND key GLOB 'end/*';

-- Cancel, move, pause and the session log select a session's jobs by it.
CREATE INDEX jobs_session ON jobs (session_id, due_at) WHERE session_id IS NOT NULL;

-- Where a group's facilitators are told things privately (alerts,
-- summaries, "could not reach a member"): a private channel; '' means a DM
-- to each facilitator.
ALTER TABLE groups ADD COLUMN facilitators_channel TEXT NOT NULL DEFAULT '';

-- A member leaving a Discord server leaves every group in it.
CREATE INDEX groups_guild ON groups (platform, guild) WHERE guild != '';
