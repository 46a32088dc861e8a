package bot

// Keys for structured log attributes, shared so that every component's
// records can be filtered the same way. Never log tokens, message bodies or
// check-in answers under any key.
const (
	KeyPlatform = "platform"
	KeyChannel  = "channel"
	KeyGroup    = "group"
	KeyUser     = "user"
	KeySchedule = "schedule"
	KeySession  = "session"
	KeyJob      = "job"
	KeyKey      = "key"
	KeyCommand  = "command"
	KeyErr      = "err"
)
