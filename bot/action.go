package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Action is what a button or modal carries back to the core: which handler
// (Name, such as "rsvp.yes"), for which group, for whom, and a
// feature-specific reference (such as a session id).
type Action struct {
	Name  string
	Group int64
	// User is the one person the button was sent to, when it was sent to
	// one person: a DM, or a private (ephemeral) reply. Only they may
	// press it. The core fills it in when it seals those buttons.
	User UserID
	Ref  string
}

// ActionCodec turns Actions into opaque ids for platforms (Discord custom_id,
// Slack action_id/value) and back. Ids are versioned and carry an HMAC so
// that a crafted id cannot act on another group or session. The key must be
// kept across restarts, or buttons on earlier messages stop working; the
// store keeps one.
type ActionCodec struct {
	key []byte
}

// MaxActionIDLen is the longest id Encode returns: Discord's custom_id limit.
const MaxActionIDLen = 100

// Action id versions: t1 (name, group, ref) is still read, for buttons on
// messages posted before t2 added the recipient.
const (
	actionV1 = "t1"
	actionV2 = "t2"
)

// ErrBadAction means an action id was malformed or failed its integrity
// check.
var ErrBadAction = errors.New("this button is not valid (it may be from an old or altered message)")

// NewActionCodec returns a codec keyed with key (at least 16 bytes).
func NewActionCodec(key []byte) (*ActionCodec, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("action key is %d bytes; need at least 16", len(key))
	}
	return &ActionCodec{key: append([]byte(nil), key...)}, nil
}

// Encode returns the id for a. Name, User and Ref may not contain '|'.
func (c *ActionCodec) Encode(a Action) (string, error) {
	if a.Name == "" || strings.Contains(a.Name, "|") || strings.Contains(a.Ref, "|") || strings.Contains(string(a.User), "|") {
		return "", fmt.Errorf("action %q/%q: name must be set and none of name, user, ref may contain '|'", a.Name, a.Ref)
	}
	body := actionV2 + "|" + a.Name + "|" + strconv.FormatInt(a.Group, 36) + "|" + string(a.User) + "|" + a.Ref
	id := body + "|" + c.mac(body)
	if len(id) > MaxActionIDLen {
		return "", fmt.Errorf("action id for %q is %d characters; the limit is %d", a.Name, len(id), MaxActionIDLen)
	}
	return id, nil
}

// Decode verifies id and returns its Action, or ErrBadAction.
func (c *ActionCodec) Decode(id string) (Action, error) {
	i := strings.LastIndexByte(id, '|')
	if i < 0 {
		return Action{}, ErrBadAction
	}
	body, sum := id[:i], id[i+1:]
	if !hmac.Equal([]byte(sum), []byte(c.mac(body))) {
		return Action{}, ErrBadAction
	}
	parts := strings.Split(body, "|")
	switch {
	case len(parts) == 4 && parts[0] == actionV1:
		parts = []string{parts[0], parts[1], parts[2], "", parts[3]}
	case len(parts) == 5 && parts[0] == actionV2:
	default:
		return Action{}, ErrBadAction
	}
	g, err := strconv.ParseInt(parts[2], 36, 64)
	if err != nil || parts[1] == "" {
		return Action{}, ErrBadAction
	}
	return Action{Name: parts[1], Group: g, User: UserID(parts[3]), Ref: parts[4]}, nil
}

// Pseudonym returns a short code for id within scope ("N-4KQ2ZD"), the
// same every time with the same key, that reveals nothing of id to someone
// without the key: a stable name for a person where their name must not
// show (a privacy: minimal group's summary of someone not on its roster).
func (c *ActionCodec) Pseudonym(scope, id string) string {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte("pseudonym\x00" + scope + "\x00" + id))
	return "N-" + strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:5])[:7])
}

func (c *ActionCodec) mac(body string) string {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(body))
	// 96 bits: ample against forgery through a chat client, short enough
	// for Discord's 100-character custom_id.
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// Seal fills in the ID of every button and modal in out. The buttons of a
// DM are bound to its recipient (Action.User), so that only they can press
// them; SealFor binds a private reply's to the person it answers.
func (c *ActionCodec) Seal(out *Outbound) error {
	if out.Kind == OutDM {
		return c.SealFor(out, out.User)
	}
	return c.SealFor(out, "")
}

// SealFor is Seal with every button and modal bound to user (unless it
// names a recipient already, or user is empty).
func (c *ActionCodec) SealFor(out *Outbound, user UserID) error {
	if len(out.Message.Buttons) > 0 {
		btns := make([]Button, len(out.Message.Buttons))
		for i, b := range out.Message.Buttons {
			if b.Action.User == "" {
				b.Action.User = user
			}
			id, err := c.Encode(b.Action)
			if err != nil {
				return err
			}
			b.ID = id
			btns[i] = b
		}
		out.Message.Buttons = btns
	}
	if out.Modal != nil {
		m := *out.Modal
		if m.Action.User == "" {
			m.Action.User = user
		}
		id, err := c.Encode(m.Action)
		if err != nil {
			return err
		}
		m.ID = id
		out.Modal = &m
	}
	return nil
}
