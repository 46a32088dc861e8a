package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/bot"
)

// Options injects what Parse needs from outside, so that tests never touch
// the process environment.
type Options struct {
	// File names the input in errors; "config" when empty.
	File string
	// LookupEnv reads an environment variable; nil means none is set.
	// cmd/tend passes os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// ReadFile reads a secret file; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// StatFile describes a secret file, to warn when others may read it;
	// nil means os.Stat. Give it the same path resolution as ReadFile.
	StatFile func(name string) (fs.FileInfo, error)
	// Now dates the examples in messages (a date is shown as one four weeks
	// ahead, never one that has passed); nil means time.Now.
	Now func() time.Time
	// CheckSchedule validates a series in its group's zone, and CheckLeads
	// a group's reminder lead times, with the limits chat keeps too; the
	// schedule package provides schedule.CheckSchedule and
	// schedule.CheckLeads. An error naming its setting (a Setting() string
	// method: "duration", "lead[1]") is reported at that setting's line.
	// nil checks only the shape. They may panic on malformed input; Parse
	// recovers.
	CheckSchedule func(s bot.Schedule, loc *time.Location) error
	CheckLeads    func(leads []time.Duration) error
	// Sections are the config sections of the features this tend has
	// (norms:, checkins: …): each is handed its node to check, and the
	// node is kept in Config for the feature to apply at start. A planned
	// feature's key that no section claims is refused as not available in
	// this version, never accepted and ignored.
	Sections []bot.ConfigSection
	// Planned overrides PlannedSections (for tests); nil uses it.
	Planned []string
}

// Load reads and parses the file at path. Problems in the file are returned
// as Errors; a file that cannot be read is an ordinary wrapped error.
func Load(path string, opts Options) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	if opts.File == "" {
		opts.File = path
	}
	return Parse(bytes.NewReader(b), opts)
}

var (
	topKeys       = []string{"timezone", "storage", "log", "owners", "discord", "slack", "console", "safety", "http", "calendar", "groups"}
	storageKeys   = []string{"path"}
	logKeys       = []string{"level", "format"}
	discordKeys   = []string{"token_env", "token_file", "application_id", "guild_ids", "api_url"}
	slackKeys     = []string{"mode", "bot_token_env", "bot_token_file", "app_token_env", "app_token_file", "signing_secret_env", "signing_secret_file", "listen", "api_url"}
	consoleKeys   = []string{"enabled"}
	safetyKeys    = []string{"resources"}
	groupKeys     = []string{"name", "platform", "channel", "guild", "kind", "admission", "capacity", "timezone", "facilitators", "facilitators_channel", "privacy", "schedule", "reminders"}
	scheduleKeys  = []string{"weekly", "cron", "duration", "starts", "until", "count", "topics", "link", "voice_channel"}
	remindersKeys = []string{"lead", "rsvp", "dm", "starting_now"}
	platforms     = []string{bot.PlatformDiscord, bot.PlatformSlack, bot.PlatformConsole}
)

const zoneFix = "write an IANA name such as Europe/London, America/New_York or Australia/Sydney"

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a config from r, fills in defaults and validates it. On any
// problem it returns a nil Config and Errors holding every problem found,
// each with file, line, column, field and fix.
func Parse(r io.Reader, opts Options) (*Config, error) {
	file := opts.File
	if file == "" {
		file = "config"
	}
	d := &decoder{file: file, opts: opts}
	if d.opts.LookupEnv == nil {
		d.opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if d.opts.ReadFile == nil {
		d.opts.ReadFile = os.ReadFile
	}
	if d.opts.StatFile == nil {
		d.opts.StatFile = os.Stat
	}
	if d.opts.Now == nil {
		d.opts.Now = time.Now
	}
	cfg := Default()
	cfg.File = opts.File

	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		d.syntax(err, src)
		return nil, d.errs
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.fail(&extra, "", "the file holds more than one YAML document", "keep one document: remove the --- separator and what follows")
	} else if !errors.Is(err, io.EOF) {
		d.syntax(err, src)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != 0 {
		d.decodeTop(root, cfg)
	}
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	d.warns.sort()
	cfg.Warnings = d.warns
	return cfg, nil
}

func (d *decoder) syntax(err error, src []byte) {
	msg := err.Error()
	line, col := 1, 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if strings.Contains(msg, "tab character") {
		// The parser reports the line before; point at the tab itself.
		for i, l := range strings.Split(string(src), "\n") {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			if j := strings.IndexByte(indent, '\t'); j >= 0 {
				line, col = i+1, j+1
				break
			}
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Problem: "the file is not valid YAML: " + msg,
		Fix: "check the indentation (spaces, not tabs) and quote values that contain \": \", \"#\" or start with * & ! [ {"})
}

func (d *decoder) decodeTop(root *yaml.Node, cfg *Config) {
	m := d.mapping(root, "", topKeys)
	if m == nil {
		return
	}
	if s, ok := d.zone(m["timezone"], "timezone"); ok {
		cfg.TimeZone = s
	}
	sm := d.mapping(m["storage"].val, "storage", storageKeys)
	if s, ok := d.str(sm["path"], "storage.path"); ok {
		if s == "" || strings.HasPrefix(s, ":memory:") {
			d.fail(sm["path"].val, "storage.path", fmt.Sprintf("%q is not a file path", s), "write a file path such as tend.db or /var/lib/tend/tend.db")
		} else {
			cfg.Storage.Path = s
		}
	}
	lm := d.mapping(m["log"].val, "log", logKeys)
	if s, ok := d.oneOf(lm["level"], "log.level", []string{"debug", "info", "warn", "error"}); ok {
		_ = cfg.Log.Level.UnmarshalText([]byte(s))
	}
	if s, ok := d.oneOf(lm["format"], "log.format", []string{LogText, LogJSON}); ok {
		cfg.Log.Format = s
	}
	if items, ok := d.list(m["owners"], "owners", `["discord:123456789012345678", "slack:U0123ABCD"]`); ok {
		for i, it := range items {
			f := index("owners", i)
			s, ok := d.scalar(it, f, "text", `write each owner as platform:id, such as "discord:123456789012345678"`)
			if !ok {
				continue
			}
			p, err := bot.ParsePrincipal(strings.TrimSpace(s))
			if err != nil {
				d.failErr(it, f, err, "write platform:id, such as discord:123456789012345678, slack:U0123ABCD or console:alice")
				continue
			}
			if p.IsRole() {
				d.fail(it, f, "an owner is one account, not a role", "write platform:id, such as discord:123456789012345678; give roles rights per group under facilitators:")
				continue
			}
			if !d.principalShape(it, f, p) {
				continue
			}
			cfg.Owners = append(cfg.Owners, p)
		}
	}
	if e := m["discord"]; e.val != nil {
		cfg.Discord = d.decodeDiscord(e)
	}
	if e := m["slack"]; e.val != nil {
		cfg.Slack = d.decodeSlack(e)
	}
	cm := d.mapping(m["console"].val, "console", consoleKeys)
	if e := cm["enabled"]; e.set() {
		// "on"/"off" may arrive as YAML booleans.
		v := strings.ToLower(deref(e.val).Value)
		switch v {
		case "true", "yes":
			v = ConsoleOn
		case "false", "no":
			v = ConsoleOff
		}
		e.val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: e.val.Line, Column: e.val.Column}
		if s, ok := d.oneOf(e, "console.enabled", []string{ConsoleAuto, ConsoleOn, ConsoleOff}); ok {
			cfg.Console.Enabled = s
		}
	}
	if e := m["http"]; e.val != nil {
		cfg.HTTP = d.decodeHTTP(e)
	}
	if e := m["calendar"]; e.val != nil {
		var listen *yaml.Node
		cfg.Calendar, listen = d.decodeCalendar(e)
		d.checkListeners(cfg, listen)
	}
	sf := d.mapping(m["safety"].val, "safety", d.sectionKeys(safetyKeys, true, "safety."))
	cfg.Sections = d.decodeSections(sf, "safety", true, "safety.", bot.Group{}, d.opts.Sections)
	if s, ok := d.str(sf["resources"], "safety.resources"); ok {
		if s == "" {
			d.fail(sf["resources"].val, "safety.resources", "is empty", "write what a member in crisis should do: local emergency number and a crisis line for your members' region")
		} else if d.limit(sf["resources"].val, "safety.resources", s, bot.MaxResourcesLen, "keep it to what a person in crisis needs at once: the emergency number, a crisis line to call or text, and when it answers") {
			cfg.Safety.Resources = s
			if claim := ResourcesClaim(s); claim != "" {
				d.warn(sf["resources"].val, "safety.resources", fmt.Sprintf("says %q: tend shows this text as it is, also when nobody could be told and to members who only wrote hello, "+
					"so a sentence about who was told or who watches can be false; tend says that itself each time, truthfully", claim),
					"keep safety.resources to numbers to call and text for your members' region; set safety.around_the_clock: true only when someone really watches alerts")
			}
		}
	}
	d.decodeGroups(m["groups"], cfg)
}

// principalShape reports a principal whose id does not have its platform's
// shape (a Discord snowflake, a Slack U… or W… id, a console name, a role
// id) and returns whether it has.
func (d *decoder) principalShape(n *yaml.Node, field string, p bot.Principal) bool {
	var fix string
	switch kind := p.Kind(); {
	case kind == "role":
		if bot.IsSnowflake(p.ID()) {
			return true
		}
		fix = "with Developer Mode on, right-click the role in Server Settings → Roles, Copy Role ID, and write role: and that number"
	case bot.CheckUserID(kind, bot.UserID(p.ID())) == nil:
		return true
	case kind == bot.PlatformDiscord:
		fix = "with Developer Mode on, right-click the person, Copy User ID, and write discord: and that number, such as discord:123456789012345678"
	case kind == bot.PlatformSlack:
		fix = "open the person's profile in Slack, choose Copy member ID, and write slack: and that id, such as slack:U0123ABCD"
	default:
		fix = fmt.Sprintf("write %s: and a name of 1 to %d letters, digits, dots, dashes or underscores, such as %s:alice", kind, bot.MaxConsoleNameLen, kind)
	}
	what := p.Kind() + " account"
	if p.IsRole() {
		what = "Discord role"
	}
	d.fail(n, field, fmt.Sprintf("%s does not name a %s", bot.Excerpt(string(p), 60), what), fix)
	return false
}

func (d *decoder) decodeDiscord(e entry) *Discord {
	const path = "discord"
	m := d.mapping(e.val, path, discordKeys)
	if m == nil {
		return &Discord{}
	}
	dc := &Discord{}
	dc.Token = d.secret(m, e, path, "token", "Discord needs the bot token")
	if s, ok := d.str(m["application_id"], path+".application_id"); ok {
		if !bot.IsSnowflake(s) {
			d.fail(m["application_id"].val, path+".application_id", fmt.Sprintf("%q is not a Discord id", s), "copy the Application ID from the Discord developer portal (General Information); it is a long number")
		} else {
			dc.ApplicationID = s
		}
	}
	if ids, ok := d.strs(m["guild_ids"], path+".guild_ids", `["123456789012345678"]`); ok {
		for i, id := range ids {
			if !bot.IsSnowflake(id) {
				d.fail(deref(m["guild_ids"].val).Content[i], index(path+".guild_ids", i), fmt.Sprintf("%q is not a Discord id", id), "with Developer Mode on, right-click the server and Copy Server ID")
				continue
			}
			dc.GuildIDs = append(dc.GuildIDs, id)
		}
	}
	dc.APIURL = d.apiURL(m["api_url"], path+".api_url")
	return dc
}

func (d *decoder) decodeSlack(e entry) *Slack {
	const path = "slack"
	m := d.mapping(e.val, path, slackKeys)
	if m == nil {
		return &Slack{Mode: SlackSocket}
	}
	sc := &Slack{Mode: SlackSocket}
	if s, ok := d.oneOf(m["mode"], path+".mode", []string{SlackSocket, SlackHTTP}); ok {
		sc.Mode = s
	}
	sc.BotToken = d.secret(m, e, path, "bot_token", "Slack needs the bot token (xoxb-…)")
	switch sc.Mode {
	case SlackSocket:
		sc.AppToken = d.secret(m, e, path, "app_token", "Slack socket mode needs an app-level token (xapp-…)")
	case SlackHTTP:
		sc.SigningSecret = d.secret(m, e, path, "signing_secret", "Slack http mode needs the app's signing secret")
		sc.Listen = DefaultSlackListen
	}
	if s, ok := d.str(m["listen"], path+".listen"); ok {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			d.fail(m["listen"].val, path+".listen", fmt.Sprintf("%q is not host:port", s), "write an address such as 127.0.0.1:3000 or :3000")
		} else {
			sc.Listen = s
		}
	}
	sc.APIURL = d.apiURL(m["api_url"], path+".api_url")
	return sc
}

func (d *decoder) apiURL(e entry, field string) string {
	s, ok := d.str(e, field)
	if !ok || s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.fail(e.val, field, fmt.Sprintf("%q is not an http or https URL", s), `write a URL such as "https://proxy.example.org/api", or "" for the platform's own`)
		return ""
	}
	return s
}

// secret resolves base_env or base_file of a platform section. Exactly one
// must be set. The value is never put in an error.
func (d *decoder) secret(m map[string]entry, section entry, path, base, why string) Secret {
	envKey, fileKey := base+"_env", base+"_file"
	env, file := m[envKey], m[fileKey]
	switch {
	case env.set() && file.set():
		d.fail(file.key, join(path, fileKey), fmt.Sprintf("both %s and %s are set", envKey, fileKey), "keep one of them")
		return Secret{}
	case !env.set() && !file.set():
		at := section.key
		if len(m) > 0 || !isNull(section.val) {
			at = section.val
		}
		d.fail(at, join(path, envKey), why+", and neither "+envKey+" nor "+fileKey+" is set",
			fmt.Sprintf("add %s: NAME_OF_AN_ENVIRONMENT_VARIABLE, or %s: /path/to/a/file holding it (never the secret itself)", envKey, fileKey))
		return Secret{}
	case env.set():
		name, ok := d.str(env, join(path, envKey))
		if !ok {
			return Secret{}
		}
		if looksSecret(name) {
			d.fail(env.val, join(path, envKey), "this looks like the secret itself, not the name of an environment variable",
				fmt.Sprintf("put the secret in an environment variable and write its name here, such as %s (and replace the secret, since it has been in a file)", strings.ToUpper(path+"_"+base)))
			return Secret{}
		}
		if !envName(name) {
			d.fail(env.val, join(path, envKey), fmt.Sprintf("%q is not an environment variable name", redactLike(name)),
				fmt.Sprintf("write the variable's name, such as %s, and put the secret in that variable (or use %s)", strings.ToUpper(path+"_"+base), fileKey))
			return Secret{}
		}
		v, ok := d.opts.LookupEnv(name)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			state := "is not set"
			if ok {
				state = "is empty"
			}
			d.fail(env.val, join(path, envKey), fmt.Sprintf("environment variable %s %s", name, state),
				fmt.Sprintf("set it in the environment tend runs in (export %s=…), use %s instead, or remove the %s: section to turn %s off", name, fileKey, path, path))
			return Secret{}
		}
		return NewSecret(v)
	default:
		name, ok := d.str(file, join(path, fileKey))
		if !ok {
			return Secret{}
		}
		b, err := d.opts.ReadFile(name)
		if err != nil {
			reason := "it cannot be read"
			switch {
			case errors.Is(err, os.ErrNotExist):
				reason = "it does not exist"
			case errors.Is(err, os.ErrPermission):
				reason = "permission denied"
			}
			d.fail(file.val, join(path, fileKey), fmt.Sprintf("cannot read secret file %s: %s", name, reason),
				fmt.Sprintf("check the path and that the user running tend may read it (chmod 600), or use %s", envKey))
			return Secret{}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			d.fail(file.val, join(path, fileKey), fmt.Sprintf("secret file %s is empty", name), "put the secret in the file, on one line")
			return Secret{}
		}
		// Windows has no such mode bits: os.Stat reports 0666 for any file.
		if fi, err := d.opts.StatFile(name); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			d.warn(file.val, join(path, fileKey), fmt.Sprintf("secret file %s can be read by other users (mode %04o)", name, fi.Mode().Perm()),
				fmt.Sprintf("run chmod 600 %s, so that only the user running tend can read it (and replace the secret if others could have read it)", name))
		}
		return NewSecret(v)
	}
}

// redactLike avoids echoing what may be a pasted secret: long values are
// shortened to their first characters.
func redactLike(s string) string {
	if len(s) > 12 {
		return s[:4] + "…"
	}
	return s
}

// looksSecret reports whether s, written where an environment variable's
// name belongs, looks like a pasted token or secret instead: long, with
// lowercase letters and digits, or with a token's punctuation.
func looksSecret(s string) bool {
	if len(s) < 20 {
		return false
	}
	var lower, digit bool
	for _, r := range s {
		lower = lower || r >= 'a' && r <= 'z'
		digit = digit || r >= '0' && r <= '9'
	}
	return (lower && digit) || strings.ContainsAny(s, ".-")
}

func envName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// resourcesClaims finds, in the operator's crisis resources, a sentence
// about what tend or its people did or do: that someone was told, will
// reach out, or watches the bot. Such words are tend's to say, each time
// and truthfully, never a fixed text's.
var resourcesClaims = regexp.MustCompile(`(?i)\b((has|have|had) been |was |were |is being |are being |will be |gets? |got )?(told|informed|notified|alerted)\b|` +
	`\b(un)?monitor(ed|ing)\b|\bwatch(ed|ing)\b|\bwill (reach out|contact you|call you|get back to you|be in touch)\b`)

// ResourcesClaim returns the words of safety.resources that claim what
// tend did or whether anyone watches it ("A facilitator has been told",
// "not monitored around the clock"), or "" when it says no such thing.
func ResourcesClaim(s string) string {
	return resourcesClaims.FindString(s)
}
