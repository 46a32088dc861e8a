package discord

import (
	"context"
	"slices"
	"sync"

	"github.com/tend-bot/tend/bot"
)

var _ bot.VoiceInspector = (*Adapter)(nil)

// voiceIndex is who is in each voice or stage channel, from the gateway:
// the voice states of GUILD_CREATE (a full picture of a guild at each
// connect) and every VOICE_STATE_UPDATE. It holds the people in voice right
// now, so it is bounded by them.
type voiceIndex struct {
	mu sync.Mutex
	// in is guild → channel → users.
	in map[string]map[string]map[string]bool
}

// reset replaces a guild's picture with states (user → channel).
func (v *voiceIndex) reset(guild string, states map[string]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.in == nil {
		v.in = map[string]map[string]map[string]bool{}
	}
	g := map[string]map[string]bool{}
	for u, ch := range states {
		if g[ch] == nil {
			g[ch] = map[string]bool{}
		}
		g[ch][u] = true
	}
	v.in[guild] = g
}

// move records user leaving channel from and entering channel to ("" for
// none).
func (v *voiceIndex) move(guild, user, from, to string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.in == nil {
		v.in = map[string]map[string]map[string]bool{}
	}
	g := v.in[guild]
	if g == nil {
		g = map[string]map[string]bool{}
		v.in[guild] = g
	}
	if from != "" {
		delete(g[from], user)
		if len(g[from]) == 0 {
			delete(g, from)
		}
	}
	if to != "" {
		if g[to] == nil {
			g[to] = map[string]bool{}
		}
		g[to][user] = true
	}
}

// members lists who is in channel ch, sorted.
func (v *voiceIndex) members(ch string) []bot.UserID {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []bot.UserID
	for _, g := range v.in {
		for u := range g[ch] {
			out = append(out, bot.UserID(u))
		}
	}
	slices.Sort(out)
	return out
}

// VoiceMembers implements bot.VoiceInspector from the voice states the
// gateway reported: the people in voice or stage channel a now. Bots are
// left out. A channel the bot cannot see, or one nobody is in, gives an
// empty list.
func (a *Adapter) VoiceMembers(ctx context.Context, ch bot.Address) ([]bot.UserID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return a.voiceIn.members(string(ch.Channel)), nil
}
