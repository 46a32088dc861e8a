package discord

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
)

// decodeInteraction reads the data of an INTERACTION_CREATE gateway
// dispatch as discordgo does (discordgo.InteractionCreate's UnmarshalJSON)
// and converts it with interactionEvent, as onInteraction does, without
// answering it. It is the adapter's inbound path from the wire to a core
// event, with nothing recovered, so that FuzzDecodeInteraction sees any
// panic on it.
func (a *Adapter) decodeInteraction(raw []byte) (bot.Event, error) {
	var ic discordgo.InteractionCreate
	if err := json.Unmarshal(raw, &ic); err != nil {
		return nil, fmt.Errorf("discord: read interaction: %w", err)
	}
	if ic.Interaction == nil {
		return nil, errors.New("discord: read interaction: no interaction in the event")
	}
	return a.interactionEvent(ic.Interaction)
}
