package bottest

import (
	"context"
	"slices"
	"sync"

	"github.com/tend-bot/tend/bot"
)

// Voice is a settable bot.VoiceInspector: who is in which voice channel.
// The zero value is ready and safe for concurrent use. Combine it with a
// Platform to make a recording platform that can tell who is in voice:
//
//	p := bottest.VoicePlatform{Platform: &bottest.Platform{}, Voice: &bottest.Voice{}}
type Voice struct {
	mu sync.Mutex
	in map[bot.ChannelID][]bot.UserID
	// Err, when set, is returned by VoiceMembers (a platform failure).
	Err error
}

var _ bot.VoiceInspector = (*Voice)(nil)

// JoinVoice puts user in voice channel ch (once).
func (v *Voice) JoinVoice(ch bot.ChannelID, user bot.UserID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.in == nil {
		v.in = map[bot.ChannelID][]bot.UserID{}
	}
	if !slices.Contains(v.in[ch], user) {
		v.in[ch] = append(v.in[ch], user)
	}
}

// LeaveVoice takes user out of voice channel ch.
func (v *Voice) LeaveVoice(ch bot.ChannelID, user bot.UserID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.in[ch] = slices.DeleteFunc(v.in[ch], func(u bot.UserID) bool { return u == user })
}

// VoiceMembers implements bot.VoiceInspector.
func (v *Voice) VoiceMembers(ctx context.Context, a bot.Address) ([]bot.UserID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.Err != nil {
		return nil, v.Err
	}
	return slices.Clone(v.in[a.Channel]), nil
}

// VoicePlatform is a recording Platform that can also tell who is in a
// voice channel, as the Discord adapter can.
type VoicePlatform struct {
	*Platform
	*Voice
}

var (
	_ bot.Platform       = VoicePlatform{}
	_ bot.VoiceInspector = VoicePlatform{}
)
