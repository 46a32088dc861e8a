package bot

import (
	"context"
	"errors"
	"fmt"
)

// VoiceInspector is an optional Platform capability: who is in a voice or
// stage channel right now (Discord, from the gateway's voice states). The
// attendance feature asks it when a session starts, so that a member who
// was already in the channel counts from the start; joins and leaves after
// that arrive as VoiceJoined and VoiceLeft events. Bots are never listed.
type VoiceInspector interface {
	// VoiceMembers lists the people in voice channel a now. A channel
	// nobody is in, or one the platform does not know, gives an empty
	// list.
	VoiceMembers(ctx context.Context, a Address) ([]UserID, error)
}

// voicer is what Bot.InVoice needs of the Deliverer; *Sender implements it.
type voicer interface {
	Voice(platform string) (VoiceInspector, bool)
}

// Voice returns the named platform as a VoiceInspector, when it is running
// and can tell who is in a voice channel.
func (s *Sender) Voice(platform string) (VoiceInspector, bool) {
	p, ok := s.platforms[platform]
	if !ok {
		return nil, false
	}
	v, ok := p.(VoiceInspector)
	return v, ok
}

// ErrNoVoice means the platform cannot tell who is in a voice channel.
var ErrNoVoice = errors.New("the platform cannot tell who is in a voice channel")

// InVoice lists the people in voice channel a now. It returns an error
// wrapping ErrNoVoice when a's platform is not running or has no
// VoiceInspector (Slack, the console).
func (b *Bot) InVoice(ctx context.Context, a Address) ([]UserID, error) {
	v, ok := b.cfg.Sender.(voicer)
	if !ok {
		return nil, fmt.Errorf("voice channel %s: %w", a, ErrNoVoice)
	}
	vi, ok := v.Voice(a.Platform)
	if !ok {
		return nil, fmt.Errorf("voice channel %s: %w", a, ErrNoVoice)
	}
	users, err := vi.VoiceMembers(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("voice channel %s: %w", a, err)
	}
	return users, nil
}
