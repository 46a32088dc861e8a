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

// PermanentError marks a delivery failure that retrying cannot fix. It wraps
// ErrUnreachable.
type PermanentError struct {
	Reason string
}

func (e *PermanentError) Error() string { return "unreachable: " + e.Reason }
func (e *PermanentError) Unwrap() error { return ErrUnreachable }
