package bot

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by the store and the features.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change clashes with what exists (a duplicate
	// name, a channel already bound).
	ErrConflict = errors.New("conflict")
	// ErrUnreachable means the platform refused the bot for good (403/404 on
	// a channel, DMs closed): retrying will not help.
	ErrUnreachable = errors.New("unreachable")
)

// UserError is an error whose Msg is safe and useful to show the person who
// caused it: it says what went wrong and what to do instead. The dispatcher
// replies with Msg; any other error is logged once and answered with a short
// apology.
type UserError struct {
	Msg string
	Err error // optional cause, logged at debug level, never shown
}

func (e *UserError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *UserError) Unwrap() error { return e.Err }

// Errorf returns a *UserError with a formatted message.
func Errorf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// UserMessage returns the message to show a user for err and whether err
// carried one.
func UserMessage(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Msg, true
	}
	return "", false
}

// ErrRejected means the platform refused this particular payload (Discord
// 400 or code 50035, Slack invalid_blocks or msg_too_long): sending the same
// content again will not help, but the channel itself is fine. It is a bug
// or an oversized message, never a reason to stop posting to the channel.
var ErrRejected = errors.New("rejected")

// PermanentError marks a delivery failure that retrying cannot fix. It
// wraps its Cause: ErrUnreachable (the channel is gone, the bot was
// removed, DMs are closed) when Cause is nil, or ErrRejected (the payload
// was refused). Transient failures (5xx, network, 429) are never
// PermanentErrors.
type PermanentError struct {
	Reason string
	// Cause is ErrUnreachable or ErrRejected; nil means ErrUnreachable.
	Cause error
}

func (e *PermanentError) Error() string {
	if errors.Is(e.cause(), ErrRejected) {
		return "rejected: " + e.Reason
	}
	return "unreachable: " + e.Reason
}

func (e *PermanentError) cause() error {
	if e.Cause == nil {
		return ErrUnreachable
	}
	return e.Cause
}

// Unwrap returns ErrUnreachable or ErrRejected.
func (e *PermanentError) Unwrap() error { return e.cause() }

// Unreachable returns a *PermanentError wrapping ErrUnreachable.
func Unreachable(format string, args ...any) error {
	return &PermanentError{Reason: fmt.Sprintf(format, args...), Cause: ErrUnreachable}
}

// Rejected returns a *PermanentError wrapping ErrRejected.
func Rejected(format string, args ...any) error {
	return &PermanentError{Reason: fmt.Sprintf(format, args...), Cause: ErrRejected}
}

// IsPermanent reports whether err is a delivery failure that retrying
// cannot fix: it wraps ErrUnreachable or ErrRejected.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRejected)
}
