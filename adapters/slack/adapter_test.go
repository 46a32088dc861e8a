package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
)

func TestAdapter_BothModes(t *testing.T) {
	for _, mode := range []string{slack.ModeSocket, slack.ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			t.Run("HelpAnsweredInTheAck", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				res, err := e.fake.SlashCommand(e.ctx, member1, groupChan, "help")
				if err != nil {
					t.Fatal(err)
				}
				var body struct {
					ResponseType string `json:"response_type"`
					Text         string `json:"text"`
				}
				if err := json.Unmarshal(res.Body, &body); err != nil {
					t.Fatalf("ack payload %q: %v", res.Body, err)
				}
				if body.ResponseType != "ephemeral" || !strings.Contains(body.Text, "what you can do here") {
					t.Errorf("help answered with %+v; want an ephemeral help message in the acknowledgement", body)
				}
				got := e.ephemeral(member1, "what you can do here")
				if got.Via != "ack" {
					t.Errorf("help answered via %s; want the acknowledgement", got.Via)
				}
			})
			t.Run("MentionsPassThrough", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				e.command(member1, groupChan, "demo who <@U0MEM2|mem2> channel:<#C0OTHER|general>", "user=U0MEM2 channel=C0OTHER")
			})
			t.Run("CardButtonsEditInPlace", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				e.command(facilitator, groupChan, "demo post key:one", "Posted.")
				msgs := e.fake.Messages(groupChan)
				if len(msgs) != 1 {
					t.Fatalf("%d messages in the group channel; want 1", len(msgs))
				}
				card := msgs[0]
				checkCard(t, card)
				if card.Metadata == nil || card.Metadata.EventType != "tend_post" || card.Metadata.EventPayload["key"] != "demo/one" {
					t.Errorf("card metadata = %+v; want tend_post with the outbox key", card.Metadata)
				}
				for i, u := range []string{member1, member2} {
					id, ok := fakeslack.ButtonID(card, "I'll be there")
					if !ok {
						t.Fatal("no RSVP button")
					}
					if _, err := e.fake.Click(e.ctx, u, card, id); err != nil {
						t.Fatal(err)
					}
					e.ephemeral(u, "Thanks, noted: yes")
					want := i + 1
					if _, err := e.fake.WaitMessage(e.ctx, groupChan, func(m fakeslack.Message) bool { return m.Edits == want }); err != nil {
						t.Fatalf("card not edited after click %d: %v", want, err)
					}
				}
				msgs = e.fake.Messages(groupChan)
				if len(msgs) != 1 || !strings.Contains(blockText(t, msgs[0].Blocks), "*Coming*\n2") {
					t.Errorf("after two clicks: %d messages, blocks %s; want the one card showing 2 coming", len(msgs), msgs[0].Blocks)
				}
			})
			t.Run("TamperedButtonRefused", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				e.command(facilitator, groupChan, "demo post key:two", "Posted.")
				card := e.fake.Messages(groupChan)[0]
				id, _ := fakeslack.ButtonID(card, "I'll be there")
				forged := strings.Replace(id, "|yes|", "|no|", 1)
				if forged == id {
					t.Fatalf("could not tamper with %q", id)
				}
				if _, err := e.fake.Click(e.ctx, member1, card, forged); err != nil {
					t.Fatal(err)
				}
				e.ephemeral(member1, "This button is not valid")
				if m := e.fake.Messages(groupChan)[0]; m.Edits != 0 {
					t.Errorf("a tampered press edited the card")
				}
			})
			t.Run("MemberRefusedFacilitatorCommand", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				e.command(member1, groupChan, "demo post key:three", "Only facilitators of tuesday")
				if n := len(e.fake.Messages(groupChan)); n != 0 {
					t.Errorf("%d messages in the channel after a refused command; want none (the refusal is private)", n)
				}
			})
			t.Run("SlowCommandAnsweredThroughResponseURL", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode, ackWait: 100 * time.Millisecond})
				res, err := e.fake.SlashCommand(e.ctx, member1, groupChan, "demo slow")
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Body) != 0 && string(res.Body) != "null" {
					t.Errorf("slow command acknowledged with %q; want an empty acknowledgement", res.Body)
				}
				close(e.release) // the core answers only after the acknowledgement
				got := e.ephemeral(member1, "late answer")
				if got.Via != "response_url" {
					t.Errorf("late answer via %s; want response_url", got.Via)
				}
				if _, err := e.fake.WaitMessage(e.ctx, groupChan, func(m fakeslack.Message) bool { return m.Text == "late public answer" }); err != nil {
					t.Errorf("public late answer not in the channel: %v", err)
				}
			})
			t.Run("LongAnswerThroughResponseURL", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				res, err := e.fake.SlashCommand(e.ctx, member1, groupChan, "demo big")
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Body) > 20<<10 {
					t.Errorf("acknowledgement of %d bytes; Socket Mode drops those of 20 KB or more", len(res.Body))
				}
				if got := e.ephemeral(member1, "The end."); got.Via != "response_url" {
					t.Errorf("long answer via %s; want response_url", got.Via)
				}
			})
			t.Run("ModalOpenAndSubmit", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				if _, err := e.fake.SlashCommand(e.ctx, facilitator, groupChan, "demo form"); err != nil {
					t.Fatal(err)
				}
				if err := e.fake.Wait(e.ctx, func() bool { return true }); err != nil {
					t.Fatal(err)
				}
				var views []fakeslack.View
				if err := waitFor(e, func() bool { views = e.fake.Views(); return len(views) == 1 }); err != nil {
					t.Fatalf("no modal opened: %v", err)
				}
				v := views[0]
				if v.PrivateMetadata != groupChan {
					t.Errorf("modal private_metadata = %q; want the channel", v.PrivateMetadata)
				}
				if _, err := e.fake.Submit(e.ctx, facilitator, v, map[string]string{"norms": "1. Confidentiality\n2. Kindness"}); err != nil {
					t.Fatal(err)
				}
				e.ephemeral(facilitator, "Saved 30 characters.")
			})
			t.Run("DirectMessageAndJoin", func(t *testing.T) {
				e := newEnv(t, envOpts{mode: mode})
				if _, err := e.fake.BotMessage(e.ctx, member1, "the bot's own words"); err != nil {
					t.Fatal(err)
				}
				if _, err := e.fake.DirectMessage(e.ctx, member1, "I feel low today"); err != nil {
					t.Fatal(err)
				}
				ev := e.event()
				dm, ok := ev.(*bot.DirectMessage)
				if !ok || dm.Text != "I feel low today" || !dm.DM || dm.User.ID != member1 || dm.User.Bot {
					t.Fatalf("first event %#v; want the member's DM (the bot's own message ignored)", ev)
				}
				if _, err := e.fake.WaitMessage(e.ctx, "D0MEM1", func(m fakeslack.Message) bool { return strings.Contains(m.Text, "16 characters") }); err != nil {
					t.Errorf("no reply in the DM: %v", err)
				}
				if _, err := e.fake.MemberJoined(e.ctx, member2, groupChan); err != nil {
					t.Fatal(err)
				}
				ev = e.event()
				j, ok := ev.(*bot.MemberJoined)
				if !ok || j.User.ID != member2 || j.Channel != groupChan || j.Guild != e.fake.Opts().TeamID {
					t.Errorf("event %#v; want member2 joining the group channel", ev)
				}
				if _, err := e.fake.MemberLeft(e.ctx, member2, groupChan); err != nil {
					t.Fatal(err)
				}
				ev = e.event()
				l, ok := ev.(*bot.MemberLeft)
				if !ok || l.User.ID != member2 || l.Channel != groupChan || l.Guild != e.fake.Opts().TeamID || l.At.IsZero() {
					t.Errorf("event %#v; want member2 leaving the group channel", ev)
				}
			})
		})
	}
}

// checkCard checks a posted card's Block Kit: block_id on every block, a
// header, mrkdwn with Slack date tokens, escaped text, buttons whose
// action_id is the signed id.
func checkCard(t *testing.T, m fakeslack.Message) {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks %s: %v", m.Blocks, err)
	}
	types := map[string]int{}
	for _, b := range blocks {
		types[b["type"].(string)]++
		if id, _ := b["block_id"].(string); id == "" {
			t.Errorf("block %v has no block_id", b)
		}
	}
	if types["header"] != 1 || types["actions"] != 1 || types["section"] < 2 {
		t.Errorf("block types %v; want a header, sections and one actions block", types)
	}
	raw := blockText(t, m.Blocks)
	if !strings.Contains(raw, "<!date^1796148000^{date_short_pretty} at {time}|1 December 2026 18:00 UTC>") {
		t.Errorf("blocks %s; want a Slack date token with a UTC fallback", raw)
	}
	if !strings.Contains(raw, "&amp; &lt;notes&gt;") {
		t.Errorf("blocks %s; want & < > escaped", raw)
	}
	if !strings.Contains(m.Text, "1 December 2026 18:00 UTC") {
		t.Errorf("fallback text %q; want the time in UTC words", m.Text)
	}
	id, ok := fakeslack.ButtonID(m, "Can't make it")
	if !ok || !strings.HasPrefix(id, "t2|demo.rsvp|") {
		t.Errorf("button action_id %q; want the core's signed id", id)
	}
}

func waitFor(e *env, cond func() bool) error {
	return e.fake.Wait(e.ctx, func() bool { return cond() })
}

// blockText returns every text a person reads in blocks.
func blockText(t *testing.T, blocks json.RawMessage) string {
	t.Helper()
	if !json.Valid(blocks) {
		t.Fatalf("blocks are not JSON: %s", blocks)
	}
	return fakeslack.BlockText(blocks)
}

// TestAdapter_PrivateFileGoesToTheDM: Slack's private replies cannot carry
// files, so a file with a private reply is uploaded (getUploadURLExternal,
// the bytes, completeUploadExternal — each checked against Slack's spec as
// extended in fakeslack) into the direct messages of the person who asked,
// in both modes; a file with a public reply is not shared at all.
func TestAdapter_PrivateFileGoesToTheDM(t *testing.T) {
	for _, mode := range []string{slack.ModeSocket, slack.ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: mode})
			e.command(member1, groupChan, "demo export", "Your export is in your direct messages")
			if err := e.fake.Wait(e.ctx, func() bool { return len(e.fake.Files()) == 1 }); err != nil {
				t.Fatalf("no file shared: %v", err)
			}
			f := e.fake.Files()[0]
			if f.User != member1 || !strings.HasPrefix(f.Channel, "D") || f.Name != "tuesday-attendance.csv" || string(f.Data) != "member,status\r\nC-1,present\r\n" {
				t.Fatalf("file %+v; want the CSV in %s's direct messages", f, member1)
			}
			for _, m := range e.fake.Messages("") {
				if strings.Contains(m.Text+string(m.Blocks), "C-1,present") {
					t.Errorf("the file's content was posted as a message in %s", m.Channel)
				}
			}
			// Answered after the acknowledgement, through the response_url.
			if _, err := e.fake.SlashCommand(e.ctx, member2, groupChan, "demo export slow:true"); err != nil {
				t.Fatal(err)
			}
			close(e.release)
			if got := e.ephemeral(member2, "Your export is in your direct messages"); got.Via != "response_url" {
				t.Errorf("the slow answer came via %s; want response_url", got.Via)
			}
			if err := e.fake.Wait(e.ctx, func() bool { return len(e.fake.Files()) == 2 }); err != nil {
				t.Fatalf("no file shared after a slow answer: %v", err)
			}
			if f := e.fake.Files()[1]; f.User != member2 || string(f.Data) != "member,status\r\nC-1,present\r\n" {
				t.Fatalf("file %+v; want the CSV in %s's direct messages", f, member2)
			}
			e.command(member1, groupChan, "demo export public:true", "")
			if err := e.fake.Wait(e.ctx, func() bool {
				for _, m := range e.fake.Messages(groupChan) {
					if strings.Contains(m.Text, "Everyone sees this.") {
						return true
					}
				}
				return false
			}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.fake.Files()); n != 2 {
				t.Errorf("%d files shared; a file with a public reply must not be", n)
			}
			if v := e.fake.Violations(); len(v) != 0 {
				t.Errorf("spec violations: %v", v)
			}
		})
	}
}
