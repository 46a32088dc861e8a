package norms

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// Limits on a group's norms. MaxText is Slack's limit on a text input, so
// that the whole list always fits the edit form on every platform.
const (
	MaxItems   = 25
	MaxItemLen = 300  // characters
	MaxText    = 3000 // characters of the numbered list as the edit form shows it
)

// listText renders items as the numbered list members read and the edit
// form shows: "1. …" a line each.
func listText(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i+1) + ". " + it)
	}
	return b.String()
}

// parseText reads agreements from what a facilitator wrote: one per line,
// or, in text without line breaks (a console form, a command argument),
// separated by ";". Numbering and bullets at the start of a line ("1.",
// "2)", "-", "•") are dropped, since the list is numbered when shown, and
// blank lines are skipped.
func parseText(s string) []string {
	s = bot.StripPlaceholderRunes(strings.ReplaceAll(s, "\r\n", "\n"))
	var parts []string
	if strings.Contains(s, "\n") {
		parts = strings.Split(s, "\n")
	} else {
		parts = strings.Split(s, ";")
	}
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(stripNumber(strings.TrimSpace(p)))
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// stripNumber drops a leading "12." or "12)" or a bullet.
func stripNumber(s string) string {
	for _, bullet := range []string{"- ", "* ", "• "} {
		if strings.HasPrefix(s, bullet) {
			return s[len(bullet):]
		}
	}
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || s[i+1] == ' ') {
		return s[i+1:]
	}
	return s
}

// checkItems refuses norms that cannot be used, saying why and what to do:
// none, too many, an item or the whole too long for the platforms' limits,
// or an item with control characters.
func checkItems(items []string) error {
	if len(items) == 0 {
		return bot.Errorf("The norms are empty. Write at least one agreement, one per line (or separated by \";\"), or start from a template with /tend norms use support.")
	}
	if len(items) > MaxItems {
		return bot.Errorf("That is %d agreements; the most is %d, so that members can read them all. Merge or drop %d of them.", len(items), MaxItems, len(items)-MaxItems)
	}
	for i, it := range items {
		if n := utf8.RuneCountInString(it); n > MaxItemLen {
			return bot.Errorf("Agreement %d is %d characters long; keep each to %d (about two sentences). Split it in two or shorten it.", i+1, n, MaxItemLen)
		}
		if strings.IndexFunc(it, unicode.IsControl) >= 0 {
			return bot.Errorf("Agreement %d holds a control character (a tab or similar); write it as plain text.", i+1)
		}
	}
	if n := utf8.RuneCountInString(listText(items)); n > MaxText {
		return bot.Errorf("The norms come to %d characters as a numbered list; the most is %d (Slack's limit for the edit form). Shorten some agreements by %d characters in all.", n, MaxText, n-MaxText)
	}
	return nil
}

// fingerprint identifies a list of agreements, to tell whether the config
// file's text changed since it was last applied.
func fingerprint(items []string) string {
	b, _ := json.Marshal(items) // a list of strings
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// sameItems reports whether a and b are the same agreements in the same
// order.
func sameItems(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
