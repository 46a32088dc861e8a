package bot

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text limits, in characters, enforced alike in chat and in the config
// file, so that neither accepts what the other refuses. Each leaves room
// for the words around it within what Discord and Slack show unclipped.
const (
	// MaxNameLen bounds a display name (roster names). Slack allows 80
	// characters in a display name, Discord 32.
	MaxNameLen = 80
	// MaxTopicLen bounds one session topic, with what to bring after "|".
	// A reminder's title "Session 12 of 12: <topic>" then stays within
	// Discord's 256-character embed title.
	MaxTopicLen = 200
	// MaxLinkLen bounds a meeting link. Video-call links with a passcode
	// are well under 300 characters; 500 fits a Discord field (1,024) and a
	// Slack button URL (3,000).
	MaxLinkLen = 500
	// MaxResourcesLen bounds safety.resources, shown privately to a member
	// in crisis beside a short careful reply: together they stay within a
	// Discord message (2,000) and a Slack section (3,000). Keep resources
	// out of a Discord embed field, which holds 1,024.
	MaxResourcesLen = 1500
	// MaxConsoleNameLen bounds a console person's or channel's name, as
	// the console adapter reads them after /as and /in.
	MaxConsoleNameLen = 64
)

// CheckLength refuses s when it is longer than max characters. what names
// the value in the message ("topic 3", "link:").
func CheckLength(what, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s is %d characters long; it may be at most %d", what, n, max)
	}
	return nil
}

// CheckScheduleText checks the free text of a series against the limits:
// each topic at most MaxTopicLen, the link at most MaxLinkLen. The reminders
// package checks the rest of a Schedule.
func CheckScheduleText(s Schedule) error {
	for i, t := range s.Topics {
		if err := CheckLength(fmt.Sprintf("topic %d", i+1), t, MaxTopicLen); err != nil {
			return err
		}
	}
	return CheckLength("link", s.Link, MaxLinkLen)
}

// CheckUserID checks that id has the shape of an account on platform: a
// Discord snowflake (digits), a Slack user id (U… or W…, uppercase letters
// and digits), or a console name (1 to 64 letters, digits, dots, dashes
// and underscores, as the console's /as takes them). The error says what
// was expected, without repeating id.
func CheckUserID(platform string, id UserID) error {
	s := string(id)
	switch platform {
	case PlatformDiscord:
		if IsSnowflake(s) {
			return nil
		}
		return fmt.Errorf("a Discord account id is a number of up to 20 digits, such as 123456789012345678")
	case PlatformSlack:
		if IsSlackID(s) && (s[0] == 'U' || s[0] == 'W') {
			return nil
		}
		return fmt.Errorf("a Slack user id starts with U or W, such as U0123ABCD")
	case PlatformConsole:
		if s == "" || utf8.RuneCountInString(s) > MaxConsoleNameLen || strings.IndexFunc(s, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')
		}) >= 0 {
			return fmt.Errorf("a console name is 1 to %d letters, digits, dots, dashes or underscores, such as sam", MaxConsoleNameLen)
		}
		return nil
	}
	return fmt.Errorf("unknown platform %q", platform)
}
