// Package console is tend's terminal adapter: a first-class bot.Platform
// over an io.Reader and an io.Writer, so that a newcomer can try every
// feature in a terminal and tests and demos can drive the bot through
// standard input.
//
// Lines starting with "/tend" are commands from the current person; "/as
// NAME" switches who is typing and "/in CHANNEL" where; buttons print as
// numbered choices ("[1] I'll be there  [2] Can't make it"), numbered once
// for the whole session, and "/click N" presses one on any earlier message.
// Any other line is a private message to the bot. Output is deterministic:
// times come from the configured Clock, rendered in the configured Location.
//
// The console keeps who is in each channel, as a bot.ChannelInspector: the
// configured default user is in every channel, anyone else is in a channel
// once they have typed a command there, "/join CHANNEL" brings the person
// typing into a channel as a newcomer (a bot.MemberJoined), and "/leave"
// takes them out of the current channel (a bot.MemberLeft). The console is one
// terminal, seen only by the people typing at it, so every channel reports
// private.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// Defaults for Config.
const (
	DefaultUser    = "owner"
	DefaultChannel = "console"
	DefaultBotName = "tend"
)

// MaxLine bounds one input line, in bytes (64 KiB): far more than any
// command or message a chat platform takes (Discord's longest form field is
// 4,000 characters, a Slack message 40,000), and small enough that a
// runaway paste costs little memory. A longer line is refused and skipped;
// the lines after it are read as usual.
const MaxLine = 64 << 10

// Config configures an Adapter.
type Config struct {
	// In is read line by line (default os.Stdin).
	In io.Reader
	// Out receives everything people see (default os.Stdout).
	Out io.Writer
	// DefaultUser is who is typing at the start: the configured owner
	// (default "owner").
	DefaultUser string
	// Channel is where the console starts (default "console").
	Channel bot.ChannelID
	// Channels are other channels the console knows, such as the channels
	// of the groups declared for the console.
	Channels []bot.ChannelID
	// BotName is the bot's own account (default "tend"): what is typed after
	// "/as tend" is ignored, as chat platforms ignore the bot's own
	// messages.
	BotName string
	// Location is the zone times are shown in (default time.Local).
	Location *time.Location
	// Echo repeats each input line, prefixed by who is typing where, so that
	// the output of a piped script reads as a transcript.
	Echo   bool
	Clock  bot.Clock
	Logger *slog.Logger
}

// Adapter is the console platform. Its methods are safe for concurrent use:
// Deliver may be called while Run is reading input.
type Adapter struct {
	in      io.Reader
	botName bot.UserID
	loc     *time.Location
	echo    bool
	clock   bot.Clock
	log     *slog.Logger

	running sync.Mutex // held by Run
	readers sync.WaitGroup

	mu      sync.Mutex // guards everything below, and writes to out
	out     io.Writer
	user    bot.UserID
	channel bot.ChannelID
	known   map[bot.ChannelID]bool
	// inside records who is in which channel; defaultUser is in every
	// channel unless recorded as not.
	inside      map[bot.ChannelID]map[bot.UserID]bool
	defaultUser bot.UserID
	nextMsg     int
	messages    map[bot.MessageID]*message
	buttons     []*button // button number n is buttons[n-1]
	forms       map[bot.UserID]*form
	writeErr    error
	// observe, when set by tests, sees every item the bot shows.
	observe func(shown)
}

var (
	_ bot.Platform         = (*Adapter)(nil)
	_ bot.Health           = (*Adapter)(nil)
	_ bot.ChannelInspector = (*Adapter)(nil)
)

// message is one message the console showed.
type message struct {
	ref     bot.MessageRef
	onlyFor bot.UserID // set for DMs and ephemeral replies
	buttons []int
	content bot.Message
}

// button is one numbered choice.
type button struct {
	num    int
	id     string
	label  string
	msg    bot.MessageID
	active bool // false once an edit took it off its message
}

// form is a modal waiting for /submit.
type form struct {
	modal   bot.Modal
	channel bot.ChannelID
	dm      bool
}

// shownKind says how an item was shown.
type shownKind int

const (
	shownReply shownKind = iota + 1
	shownPost
	shownEdit
	shownDM
	shownOther
)

// shown is one item the bot showed, for tests.
type shown struct {
	kind      shownKind
	channel   bot.ChannelID
	ref       bot.MessageRef
	ephemeral bool
	onlyFor   bot.UserID
	text      string // exactly what was written
	buttons   []shownButton
}

type shownButton struct {
	num   int
	label string
	id    string
}

// New returns a console adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.In == nil {
		cfg.In = os.Stdin
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.DefaultUser == "" {
		cfg.DefaultUser = DefaultUser
	}
	if cfg.Channel == "" {
		cfg.Channel = DefaultChannel
	}
	if cfg.BotName == "" {
		cfg.BotName = DefaultBotName
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	user, err := cleanName(cfg.DefaultUser)
	if err != nil {
		return nil, fmt.Errorf("console: default user: %w", err)
	}
	a := &Adapter{
		in:          cfg.In,
		botName:     bot.UserID(strings.TrimPrefix(cfg.BotName, "@")),
		loc:         cfg.Location,
		echo:        cfg.Echo,
		clock:       cfg.Clock,
		log:         cfg.Logger.With(bot.KeyPlatform, bot.PlatformConsole),
		out:         cfg.Out,
		user:        bot.UserID(user),
		defaultUser: bot.UserID(user),
		known:       map[bot.ChannelID]bool{},
		inside:      map[bot.ChannelID]map[bot.UserID]bool{},
		messages:    map[bot.MessageID]*message{},
		forms:       map[bot.UserID]*form{},
	}
	if err := a.AddChannels(append([]bot.ChannelID{cfg.Channel}, cfg.Channels...)...); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	a.channel = bot.ChannelID(strings.TrimPrefix(string(cfg.Channel), "#"))
	return a, nil
}

// Name implements bot.Platform.
func (a *Adapter) Name() string { return bot.PlatformConsole }

// Connected implements bot.Health: the terminal is always there.
func (a *Adapter) Connected() (bool, string) { return true, "" }

// AddChannels tells the console about channels it may post in, such as the
// channels of groups bound to the console.
func (a *Adapter) AddChannels(chs ...bot.ChannelID) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ch := range chs {
		name, err := cleanName(strings.TrimPrefix(string(ch), "#"))
		if err != nil {
			return fmt.Errorf("channel %q: %w", ch, err)
		}
		a.known[bot.ChannelID(name)] = true
	}
	return nil
}

// cleanName checks a person's or channel's name as typed: letters, digits
// and . _ - only, so that names print unambiguously.
func cleanName(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if s == "" {
		return "", errors.New("a name is needed, such as sam")
	}
	if len(s) > 64 {
		return "", fmt.Errorf("%q is longer than 64 characters", s)
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return "", fmt.Errorf("%q may use only letters, digits, dots, dashes and underscores, such as sam or tuesday-support", s)
		}
	}
	return s, nil
}

// Run implements bot.Platform. It reads lines until end of input or /quit
// and returns nil then, or when ctx is done. Each line is handled before the
// next is read, so the work a line causes is done when Run returns at end
// of input. An In that blocks (a terminal) keeps one reading goroutine
// waiting for its next line after ctx is done; it ends with that line.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if !a.running.TryLock() {
		return errors.New("console: run: already running")
	}
	defer a.running.Unlock()

	// The reader stops as soon as Run returns, unless it is blocked in a
	// Read, which no io.Reader lets us interrupt.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	lines := make(chan inputLine)
	var readErr error
	a.readers.Add(1)
	go func() {
		defer a.readers.Done()
		defer close(lines)
		r := bufio.NewReaderSize(a.in, MaxLine+len("\r\n"))
		for {
			l, err := readLine(r)
			if l.text != "" || l.tooLong > 0 {
				select {
				case lines <- l:
				case <-readCtx.Done():
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err // read by Run after lines is closed
				}
				return
			}
		}
	}()

	a.mu.Lock()
	a.printf("tend console: you are %s in #%s. Type /help for the console commands, /tend help for the bot's.\n", a.user, a.channel)
	a.mu.Unlock()
	a.log.Info("console ready")

	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				if readErr != nil {
					return fmt.Errorf("console: read input: %w", readErr)
				}
				a.log.Info("console input ended")
				return nil
			}
			if line.tooLong > 0 {
				a.mu.Lock()
				a.notef("That line is %d bytes long; a line may be at most %d bytes (64 KiB). It was not run: shorten it, or split it over several commands.", line.tooLong, MaxLine)
				a.mu.Unlock()
				a.log.Debug("refused an input line over the length limit", "bytes", line.tooLong)
				continue
			}
			if quit := a.handleLine(ctx, h, line.text); quit {
				return nil
			}
		}
	}
}

// inputLine is one line read from In: its text, or, for a line longer than
// MaxLine, only its length.
type inputLine struct {
	text    string
	tooLong int
}

// readLine reads one line without its line ending ("\n" or "\r\n"). A line
// longer than MaxLine is read to its end and dropped, keeping only its
// length, so that memory stays bounded and the next line is read as usual.
// A last line without a newline is returned with io.EOF.
func readLine(r *bufio.Reader) (inputLine, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		n := len(b)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.ReadSlice('\n')
			n += len(b)
		}
		return inputLine{tooLong: n - len(lineEnding(b))}, err
	}
	b = b[:len(b)-len(lineEnding(b))]
	if len(b) > MaxLine {
		return inputLine{tooLong: len(b)}, err
	}
	return inputLine{text: string(b)}, err
}

// lineEnding returns the "\n" or "\r\n" that ends b, if any.
func lineEnding(b []byte) []byte {
	switch {
	case len(b) >= 2 && b[len(b)-2] == '\r' && b[len(b)-1] == '\n':
		return b[len(b)-2:]
	case len(b) >= 1 && b[len(b)-1] == '\n':
		return b[len(b)-1:]
	}
	return nil
}

// handleLine acts on one input line and reports whether it was /quit.
func (a *Adapter) handleLine(ctx context.Context, h bot.Handler, line string) bool {
	line = strings.TrimSpace(bot.StripPlaceholderRunes(stripControl(line)))
	if line == "" {
		return false
	}
	a.mu.Lock()
	if a.echo {
		a.printf("%s@#%s> %s\n", a.user, a.channel, line)
	}
	ev, quit := a.parseLocked(line)
	user := a.user
	a.mu.Unlock()
	if ev == nil {
		return quit
	}
	if ev.Meta().User.ID == a.botName {
		// As on the chat platforms, the bot does not act on its own words.
		a.mu.Lock()
		a.notef("(ignored: %s is the bot's own account; type /as NAME to speak as a person)", a.botName)
		a.mu.Unlock()
		return false
	}
	switch ev.(type) {
	case *bot.DirectMessage, *bot.ButtonPress, *bot.ModalSubmit:
		// What a person tells the bot privately (a DM, a check-in answer)
		// is never tied to them in the log.
		a.log.Debug("event", "event", fmt.Sprintf("%T", ev))
	default:
		a.log.Debug("event", "event", fmt.Sprintf("%T", ev), bot.KeyUser, string(user), bot.KeyChannel, string(ev.Meta().Channel))
	}
	if m := ev.Meta(); !m.DM {
		if _, left := ev.(*bot.MemberLeft); !left {
			// Typing in a channel makes the person one of its members.
			a.mu.Lock()
			a.setInsideLocked(m.Channel, m.User.ID, true)
			a.mu.Unlock()
		}
	}
	replies := h.Handle(ctx, ev)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range replies {
		a.showReplyLocked(ev, r)
	}
	return false
}

// parseLocked turns a line into an event, or acts on a console command
// itself and returns nil.
func (a *Adapter) parseLocked(line string) (ev bot.Event, quit bool) {
	meta := bot.EventMeta{
		Platform: bot.PlatformConsole,
		Channel:  a.channel,
		User:     a.person(a.user),
		At:       a.clock.Now(),
	}
	if !strings.HasPrefix(line, "/") {
		meta.Channel = dmChannel(a.user)
		meta.DM = true
		return &bot.DirectMessage{EventMeta: meta, Text: line}, false
	}
	cmd, rest := line, ""
	if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
		cmd, rest = line[:i], strings.TrimSpace(line[i:])
	}
	switch strings.ToLower(cmd) {
	case "/tend":
		words, args, err := bot.ParseCommandText(rest)
		if err != nil {
			a.refuseLocked(err)
			return nil, false
		}
		return &bot.Command{EventMeta: meta, Words: words, Args: args}, false
	case "/as":
		if rest == "" {
			a.notef("You are %s. To type as someone else, write /as NAME, for example /as sam.", a.user)
			return nil, false
		}
		name, err := cleanName(rest)
		if err != nil {
			a.notef("Cannot type as that: %v.", err)
			return nil, false
		}
		a.user = bot.UserID(name)
		if a.user == a.botName {
			a.notef("You are now %s, the bot's own account: what you type is ignored until /as NAME.", name)
		} else {
			a.notef("You are now %s.", name)
		}
	case "/in":
		if rest == "" {
			a.notef("You are in #%s. Known channels: %s. To move, write /in CHANNEL.", a.channel, a.knownListLocked())
			return nil, false
		}
		name, err := cleanName(strings.TrimPrefix(rest, "#"))
		if err != nil {
			a.notef("Cannot go there: %v.", err)
			return nil, false
		}
		a.channel = bot.ChannelID(name)
		a.known[a.channel] = true
		a.notef("You are now in #%s.", name)
	case "/join":
		ch := a.channel
		if rest != "" {
			name, err := cleanName(strings.TrimPrefix(rest, "#"))
			if err != nil {
				a.notef("Cannot join that: %v.", err)
				return nil, false
			}
			ch = bot.ChannelID(name)
		}
		if a.user == a.botName {
			a.notef("%s is the bot's own account; type /as NAME to join as a person.", a.user)
			return nil, false
		}
		a.channel = ch
		a.known[ch] = true
		if a.insideLocked(ch, a.user) {
			a.notef("%s is in #%s already.", a.user, ch)
			return nil, false
		}
		a.notef("%s joined #%s.", a.user, ch)
		meta.Channel = ch
		return &bot.MemberJoined{EventMeta: meta}, false
	case "/leave":
		if rest != "" {
			a.notef("/leave takes no name: it takes you out of the channel you are in. Use /in CHANNEL first to leave another one.")
			return nil, false
		}
		if a.user == a.botName || !a.insideLocked(a.channel, a.user) {
			a.notef("%s is not in #%s.", a.user, a.channel)
			return nil, false
		}
		a.setInsideLocked(a.channel, a.user, false)
		a.notef("%s left #%s.", a.user, a.channel)
		return &bot.MemberLeft{EventMeta: meta}, false
	case "/click":
		return a.clickLocked(meta, rest), false
	case "/submit":
		return a.submitLocked(meta, rest), false
	case "/cancel":
		if _, ok := a.forms[a.user]; ok {
			delete(a.forms, a.user)
			a.notef("Form closed without sending.")
		} else {
			a.notef("%s has no open form.", a.user)
		}
	case "/help":
		a.helpLocked()
	case "/quit", "/exit":
		a.notef("Bye.")
		return nil, true
	default:
		a.notef("%s is not a console command. Type /help for the console commands, or /tend help for the bot's.", cmd)
	}
	return nil, false
}

func (a *Adapter) person(id bot.UserID) bot.User {
	return bot.User{Platform: bot.PlatformConsole, ID: id, Name: string(id)}
}

func dmChannel(u bot.UserID) bot.ChannelID { return bot.ChannelID("dm-" + string(u)) }

func (a *Adapter) knownListLocked() string {
	names := make([]string, 0, len(a.known))
	for ch := range a.known {
		names = append(names, "#"+string(ch))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (a *Adapter) clickLocked(meta bot.EventMeta, arg string) bot.Event {
	n, err := strconv.Atoi(strings.Trim(arg, "[]"))
	if err != nil || n < 1 {
		a.notef("Write /click and a choice's number, for example /click 2 to press [2].")
		return nil
	}
	if n > len(a.buttons) {
		a.notef("There is no choice [%d] yet: choices are the numbers in brackets, like [1], on the messages above.", n)
		return nil
	}
	b := a.buttons[n-1]
	m := a.messages[b.msg]
	if !b.active {
		a.notef("Choice [%d] was taken off message #%s when it changed; use the choices it shows now.", n, b.msg)
		return nil
	}
	if m.onlyFor != "" && m.onlyFor != a.user {
		a.notef("Choice [%d] is on a message only %s can see. Type /as %s to act as them.", n, m.onlyFor, m.onlyFor)
		return nil
	}
	meta.Channel = m.ref.Channel
	meta.DM = strings.HasPrefix(string(m.ref.Channel), "dm-")
	return &bot.ButtonPress{EventMeta: meta, ID: b.id, Message: m.ref}
}

func (a *Adapter) submitLocked(meta bot.EventMeta, arg string) bot.Event {
	f, ok := a.forms[a.user]
	if !ok {
		a.notef("%s has no open form: a form opens when a command or button asks for one.", a.user)
		return nil
	}
	_, values, err := bot.ParseCommandText(arg)
	if err != nil {
		a.refuseLocked(err)
		return nil
	}
	for name := range values {
		if !slices.ContainsFunc(f.modal.Inputs, func(in bot.Input) bool { return strings.EqualFold(in.ID, name) }) {
			a.notef("The form %q has no field %q. Its fields: %s.", f.modal.Title, name, inputNames(f.modal))
			return nil
		}
	}
	for _, in := range f.modal.Inputs {
		v, ok := values[strings.ToLower(in.ID)]
		if in.Required && strings.TrimSpace(v) == "" {
			a.notef("The form needs %s (%s). Write /submit %s:\"…\".", in.ID, in.Label, in.ID)
			return nil
		}
		if in.MaxLen > 0 && len([]rune(v)) > in.MaxLen {
			a.notef("%s is longer than %d characters; shorten it and /submit again.", in.ID, in.MaxLen)
			return nil
		}
		if ok && in.ID != strings.ToLower(in.ID) {
			delete(values, strings.ToLower(in.ID))
			values[in.ID] = v
		}
	}
	delete(a.forms, a.user)
	meta.Channel, meta.DM = f.channel, f.dm
	return &bot.ModalSubmit{EventMeta: meta, ID: f.modal.ID, Values: values}
}

func inputNames(m bot.Modal) string {
	var names []string
	for _, in := range m.Inputs {
		names = append(names, in.ID)
	}
	return strings.Join(names, ", ")
}

func (a *Adapter) helpLocked() {
	a.printf(`Console commands:
  /tend …           run a tend command as the current person (/tend help lists them);
                    put a value with spaces in double quotes, name:"Sam O'Brien"
                    (an apostrophe is part of the value, never a quote)
  /as NAME          type as NAME from now on (you are %s)
  /in CHANNEL       move to CHANNEL (you are in #%s; known: %s);
                    a command typed there makes you one of its members
  /join [CHANNEL]   join CHANNEL (default: the one you are in) as someone new
                    arriving there, and move to it
  /leave            leave the channel you are in
  /click N          press choice [N] on any message above
  /submit name:value …  fill in and send the open form; /cancel closes it
  /quit             stop the console (the end of input does the same)
Any other line is a private message to the bot from the current person.
%s is in every channel; the console is one terminal, so every channel counts as private.
`, a.user, a.channel, a.knownListLocked(), a.defaultUser)
}

// refuseLocked shows a parse error to the person typing.
func (a *Adapter) refuseLocked(err error) {
	if msg, ok := bot.UserMessage(err); ok {
		a.notef("%s", msg)
		return
	}
	a.notef("That line could not be read: %v.", err)
}

// notef prints a console notice (not something the bot said).
func (a *Adapter) notef(format string, args ...any) {
	a.printf("· "+format+"\n", args...)
}

func (a *Adapter) printf(format string, args ...any) {
	a.write(fmt.Sprintf(format, args...))
}

// write writes s, keeping the first write error for Deliver to report.
func (a *Adapter) write(s string) {
	if _, err := io.WriteString(a.out, s); err != nil && a.writeErr == nil {
		a.writeErr = err
		a.log.Error("writing console output failed", bot.KeyErr, err)
	}
}

// Deliver implements bot.Platform.
func (a *Adapter) Deliver(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	if err := ctx.Err(); err != nil {
		return bot.Delivered{}, fmt.Errorf("console: deliver %s: %w", out.Kind, err)
	}
	now := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.writeErr != nil {
		return bot.Delivered{}, fmt.Errorf("console: deliver %s: output failed: %w", out.Kind, a.writeErr)
	}
	d := bot.Delivered{At: now}
	switch out.Kind {
	case bot.OutPost:
		ch := bot.ChannelID(strings.TrimPrefix(string(out.To.Channel), "#"))
		if !a.known[ch] {
			return bot.Delivered{}, bot.Unreachable("the console has no channel #%s (known: %s); type /in %s first, or bind a group to a known channel", ch, a.knownListLocked(), ch)
		}
		m := a.newMessageLocked(ch, "", out.Message)
		a.showLocked(shown{kind: shownPost, channel: ch, ref: m.ref},
			fmt.Sprintf("message #%s in #%s", m.ref.ID, ch), m)
		d.Ref = m.ref
	case bot.OutDM:
		if out.User == "" {
			return bot.Delivered{}, bot.Rejected("console: a DM needs a recipient")
		}
		m := a.newMessageLocked(dmChannel(out.User), out.User, out.Message)
		a.showLocked(shown{kind: shownDM, channel: m.ref.Channel, ref: m.ref, onlyFor: out.User},
			fmt.Sprintf("DM to %s", out.User), m)
		d.Ref = m.ref
	case bot.OutEdit:
		m, ok := a.messages[out.Ref.ID]
		if !ok || out.Ref.Channel != m.ref.Channel {
			return bot.Delivered{}, bot.Unreachable("the console has no message #%s in #%s", out.Ref.ID, out.Ref.Channel)
		}
		a.replaceLocked(m, out.Message)
		header := fmt.Sprintf("✎ message #%s now reads", m.ref.ID)
		if m.onlyFor != "" {
			header = fmt.Sprintf("✎ message #%s (only %s sees it) now reads", m.ref.ID, m.onlyFor)
		}
		a.showLocked(shown{kind: shownEdit, channel: m.ref.Channel, ref: m.ref, onlyFor: m.onlyFor}, header, m)
		d.Ref = m.ref
	case bot.OutPin, bot.OutUnpin:
		m, ok := a.messages[out.Ref.ID]
		if !ok || out.Ref.Channel != m.ref.Channel {
			return bot.Delivered{}, bot.Unreachable("the console has no message #%s in #%s", out.Ref.ID, out.Ref.Channel)
		}
		word := "pinned"
		if out.Kind == bot.OutUnpin {
			word = "no longer pinned"
		}
		a.showTextLocked(shown{kind: shownOther, channel: m.ref.Channel, ref: m.ref},
			fmt.Sprintf("📌 message #%s in #%s is %s\n", m.ref.ID, m.ref.Channel, word))
		d.Ref = m.ref
	case bot.OutGrantRole:
		a.showTextLocked(shown{kind: shownOther, onlyFor: out.User},
			fmt.Sprintf("★ %s was given the role %s\n", out.User, out.Role))
	case bot.OutRevokeRole:
		a.showTextLocked(shown{kind: shownOther, onlyFor: out.User},
			fmt.Sprintf("☆ %s no longer has the role %s\n", out.User, out.Role))
	case bot.OutInvite:
		ch, err := cleanName(strings.TrimPrefix(string(out.To.Channel), "#"))
		if err != nil || out.User == "" {
			return bot.Delivered{}, bot.Rejected("console: cannot invite %q to channel %q", out.User, out.To.Channel)
		}
		a.known[bot.ChannelID(ch)] = true
		// Invited is in, as on Slack: the person is one of its members now.
		a.setInsideLocked(bot.ChannelID(ch), out.User, true)
		a.showTextLocked(shown{kind: shownOther, channel: bot.ChannelID(ch), onlyFor: out.User},
			fmt.Sprintf("✉ %s was invited to #%s\n", out.User, ch))
	case bot.OutReply, bot.OutModal:
		return bot.Delivered{}, fmt.Errorf("console: deliver %s: replies are returned by the handler, not delivered", out.Kind)
	default:
		return bot.Delivered{}, fmt.Errorf("console: deliver kind %d: %w", out.Kind, errors.ErrUnsupported)
	}
	if a.writeErr != nil {
		return bot.Delivered{}, fmt.Errorf("console: deliver %s: %w", out.Kind, a.writeErr)
	}
	return d, nil
}

// showReplyLocked renders a handler's answer to ev.
func (a *Adapter) showReplyLocked(ev bot.Event, r bot.Outbound) {
	meta := ev.Meta()
	who := meta.User.ID
	switch r.Kind {
	case bot.OutReply:
		if r.Ephemeral || meta.DM {
			m := a.newMessageLocked(meta.Channel, who, r.Message)
			a.showLocked(shown{kind: shownReply, channel: meta.Channel, ref: m.ref, ephemeral: true, onlyFor: who},
				fmt.Sprintf("(only %s sees this)", who), m)
			if r.File != nil {
				a.showTextLocked(shown{kind: shownReply, channel: meta.Channel, ephemeral: true, onlyFor: who}, a.renderFile(who, *r.File))
			}
			return
		}
		if r.File != nil {
			a.log.Error("a file in a public reply was not shown: files go to one person only")
		}
		m := a.newMessageLocked(meta.Channel, "", r.Message)
		a.showLocked(shown{kind: shownReply, channel: meta.Channel, ref: m.ref},
			fmt.Sprintf("message #%s in #%s, answering %s", m.ref.ID, meta.Channel, who), m)
	case bot.OutModal:
		if r.Modal == nil {
			return
		}
		a.forms[who] = &form{modal: *r.Modal, channel: meta.Channel, dm: meta.DM}
		a.showTextLocked(shown{kind: shownReply, channel: meta.Channel, ephemeral: true, onlyFor: who},
			a.renderForm(who, *r.Modal))
	default:
		a.log.Error("handler returned an outbound that is not a reply", "kind", r.Kind.String())
	}
}

// renderFile prints a private file: the terminal is the reader's own, so
// its text is shown in full between two rules (control characters
// removed); a file that is not text is only named.
func (a *Adapter) renderFile(who bot.UserID, f bot.File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(only %s sees this) file %s, %d bytes:\n", who, stripControl(f.Name), len(f.Data))
	if !strings.HasPrefix(f.ContentType, "text/") || !utf8.Valid(f.Data) {
		b.WriteString("  (not text; not shown)\n")
		return b.String()
	}
	b.WriteString("----- " + stripControl(f.Name) + " -----\n")
	text := stripControl(strings.ReplaceAll(string(f.Data), "\r\n", "\n"))
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("----- end of " + stripControl(f.Name) + " -----\n")
	return b.String()
}

func (a *Adapter) renderForm(who bot.UserID, m bot.Modal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(only %s sees this) form: %s\n", who, a.clean(m.Title, nil))
	for _, in := range m.Inputs {
		fmt.Fprintf(&b, "  %s: %s", in.ID, a.clean(in.Label, nil))
		var notes []string
		if in.Required {
			notes = append(notes, "required")
		}
		if in.MaxLen > 0 {
			notes = append(notes, fmt.Sprintf("up to %d characters", in.MaxLen))
		}
		if in.Value != "" {
			notes = append(notes, "now: "+strconv.Quote(a.clean(in.Value, nil)))
		} else if in.Placeholder != "" {
			notes = append(notes, "e.g. "+a.clean(in.Placeholder, nil))
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  Send it with /submit")
	for _, in := range m.Inputs {
		fmt.Fprintf(&b, " %s:\"…\"", in.ID)
	}
	b.WriteString(", or /cancel.\n")
	return b.String()
}

// newMessageLocked numbers a new message and its buttons.
func (a *Adapter) newMessageLocked(ch bot.ChannelID, onlyFor bot.UserID, content bot.Message) *message {
	a.nextMsg++
	id := bot.MessageID(strconv.Itoa(a.nextMsg))
	m := &message{ref: bot.MessageRef{Platform: bot.PlatformConsole, Channel: ch, ID: id}, onlyFor: onlyFor}
	a.messages[id] = m
	a.replaceLocked(m, content)
	return m
}

// replaceLocked sets m's content, keeping the number of every button whose
// id it still carries and retiring the others.
func (a *Adapter) replaceLocked(m *message, content bot.Message) {
	old := map[string]int{}
	for _, n := range m.buttons {
		old[a.buttons[n-1].id] = n
	}
	m.content = content
	m.buttons = nil
	for _, b := range content.Buttons {
		if n, ok := old[b.ID]; ok && b.ID != "" {
			delete(old, b.ID)
			a.buttons[n-1].label = b.Label
			m.buttons = append(m.buttons, n)
			continue
		}
		n := len(a.buttons) + 1
		a.buttons = append(a.buttons, &button{num: n, id: b.ID, label: b.Label, msg: m.ref.ID, active: true})
		m.buttons = append(m.buttons, n)
	}
	for _, n := range old {
		a.buttons[n-1].active = false
	}
}

// showLocked writes m's content under header and tells observers.
func (a *Adapter) showLocked(sh shown, header string, m *message) {
	lines := a.renderLines(m)
	var b strings.Builder
	b.WriteString(header)
	switch len(lines) {
	case 0:
		b.WriteString(": (empty)\n")
	case 1:
		if strings.HasPrefix(header, "(") {
			b.WriteString(" ")
		} else {
			b.WriteString(": ")
		}
		b.WriteString(lines[0] + "\n")
	default:
		if !strings.HasPrefix(header, "(") {
			b.WriteString(":")
		}
		b.WriteString("\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	for _, n := range m.buttons {
		bt := a.buttons[n-1]
		sh.buttons = append(sh.buttons, shownButton{num: n, label: bt.label, id: bt.id})
	}
	a.showTextLocked(sh, b.String())
}

func (a *Adapter) showTextLocked(sh shown, text string) {
	sh.text = text
	a.write(text)
	if a.observe != nil {
		a.observe(sh)
	}
}

// renderLines renders a message's content as lines of text: title, text,
// fields, choices and footer, with times shown in the console's zone.
func (a *Adapter) renderLines(m *message) []string {
	c := m.content
	rel := relativeTimes(c)
	var lines []string
	add := func(s string) {
		for _, l := range strings.Split(a.clean(s, rel), "\n") {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	if c.Title != "" {
		add(c.Title)
	}
	if c.Text != "" {
		add(c.Text)
	}
	for _, f := range c.Fields {
		v := a.clean(f.Value, rel)
		if strings.Contains(v, "\n") {
			add(f.Name + ":")
			for _, l := range strings.Split(v, "\n") {
				lines = append(lines, "  "+strings.TrimRight(l, " \t"))
			}
			continue
		}
		add(f.Name + ": " + v)
	}
	if len(m.buttons) > 0 {
		var parts []string
		for _, n := range m.buttons {
			parts = append(parts, fmt.Sprintf("[%d] %s", n, a.clean(a.buttons[n-1].label, rel)))
		}
		lines = append(lines, strings.Join(parts, "  "))
	}
	if c.Footer != "" {
		add("— " + c.Footer)
	}
	return lines
}

// relativeTimes returns the instants that c already shows in relative
// form, so that they are not repeated after their absolute form.
func relativeTimes(c bot.Message) map[int64]bool {
	rel := map[int64]bool{}
	note := func(s string) {
		bot.RenderTimes(s, func(t time.Time, st bot.TimeStyle) string {
			if st == bot.TimeRelative {
				rel[t.Unix()] = true
			}
			return ""
		})
	}
	note(c.Title)
	note(c.Text)
	for _, f := range c.Fields {
		note(f.Name)
		note(f.Value)
	}
	note(c.Footer)
	return rel
}

// clean renders time placeholders and removes control characters, so that
// text from people cannot move the cursor or recolour the terminal.
func (a *Adapter) clean(s string, rel map[int64]bool) string {
	now := a.clock.Now()
	s = bot.RenderTimes(s, func(t time.Time, st bot.TimeStyle) string {
		out := bot.FormatTimeIn(t, st, a.loc, now)
		if st != bot.TimeRelative && !rel[t.Unix()] {
			out += " (" + bot.Relative(t, now) + ")"
		}
		return out
	})
	return stripControl(s)
}

// stripControl drops control characters other than newline and tab.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return -1
		}
		return r
	}, s)
}

// insideLocked reports whether u is in ch.
func (a *Adapter) insideLocked(ch bot.ChannelID, u bot.UserID) bool {
	if in, ok := a.inside[ch][u]; ok {
		return in
	}
	return u == a.defaultUser
}

// setInsideLocked records whether u is in ch.
func (a *Adapter) setInsideLocked(ch bot.ChannelID, u bot.UserID, in bool) {
	if ch == "" || u == a.botName {
		return
	}
	m := a.inside[ch]
	if m == nil {
		m = map[bot.UserID]bool{}
		a.inside[ch] = m
	}
	m[u] = in
}

// inspectLocked resolves a channel for ChannelInspector: a DM channel
// names its person; any other must be a channel the console knows.
func (a *Adapter) inspectLocked(addr bot.Address) (ch bot.ChannelID, dmWith bot.UserID, err error) {
	ch = bot.ChannelID(strings.TrimPrefix(string(addr.Channel), "#"))
	if u, ok := strings.CutPrefix(string(ch), "dm-"); ok && u != "" {
		return ch, bot.UserID(u), nil
	}
	if !a.known[ch] {
		return "", "", bot.Unreachable("the console has no channel #%s (known: %s)", ch, a.knownListLocked())
	}
	return ch, "", nil
}

// ChannelPrivate implements bot.ChannelInspector. The console is one
// terminal, seen only by the people typing at it: every channel it knows
// is private.
func (a *Adapter) ChannelPrivate(ctx context.Context, addr bot.Address) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, _, err := a.inspectLocked(addr); err != nil {
		return false, err
	}
	return true, nil
}

// InChannel implements bot.ChannelInspector: the default user is in every
// channel until they /leave it; anyone else from the first command they
// type there until they /leave it. A DM channel holds its person.
func (a *Adapter) InChannel(ctx context.Context, addr bot.Address, u bot.UserID) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, dmWith, err := a.inspectLocked(addr)
	if err != nil {
		return false, err
	}
	if dmWith != "" {
		return u == dmWith, nil
	}
	return u != a.botName && a.insideLocked(ch, u), nil
}

// ChannelMembers implements bot.ChannelInspector: the people in the
// channel, by name.
func (a *Adapter) ChannelMembers(ctx context.Context, addr bot.Address) ([]bot.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, dmWith, err := a.inspectLocked(addr)
	if err != nil {
		return nil, err
	}
	if dmWith != "" {
		return []bot.User{a.person(dmWith)}, nil
	}
	ids := []bot.UserID{}
	if a.insideLocked(ch, a.defaultUser) {
		ids = append(ids, a.defaultUser)
	}
	for u, in := range a.inside[ch] {
		if in && u != a.defaultUser {
			ids = append(ids, u)
		}
	}
	slices.Sort(ids)
	out := make([]bot.User, 0, len(ids))
	for _, u := range ids {
		out = append(out, a.person(u))
	}
	return out, nil
}
