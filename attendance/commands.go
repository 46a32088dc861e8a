package attendance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

var statusChoices = []string{string(bot.AttendPresent), string(bot.AttendLate), string(bot.AttendExcused), string(bot.AttendAbsent)}

func (f *Feature) registerCommands() error {
	userOpt := bot.Option{Name: "user", Description: "the person, by mention (@name)", Type: bot.OptUser}
	codeOpt := bot.Option{Name: "code", Description: "a roster code, such as C-104 (someone not on this platform)", Placeholder: "code"}
	fromOpt := bot.Option{Name: "from", Description: "first day, YYYY-MM-DD (default: the first session)", Type: bot.OptDate}
	toOpt := bot.Option{Name: "to", Description: "last day, YYYY-MM-DD (default: today)", Type: bot.OptDate}
	specs := []bot.CommandSpec{
		{Path: "attendance mark", Summary: "Mark someone present, late, excused or absent at a session", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "status", Description: "present, late, excused or absent", Required: true, Positional: true, Choices: statusChoices},
				userOpt, codeOpt,
				{Name: "session", Description: "the session's number or date, YYYY-MM-DD (default: the current or latest)"},
			},
			Run: f.cmdMark},
		{Path: "attendance report", Summary: "Attendance per session and per member: rate, streak, last seen", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{fromOpt, toOpt}, Run: f.cmdReport},
		{Path: "attendance export", Summary: "Attendance as CSV for your records", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{fromOpt, toOpt}, Run: f.cmdExport},
		{Path: "attendance settings", Summary: "Show or change how attendance is taken in a group made in chat", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "missed_you_dm", Description: `send a gentle "we missed you" DM with the absence alert`, Type: bot.OptBool},
				{Name: "min_minutes", Description: "minutes in the voice channel that count as present", Type: bot.OptInt},
				{Name: "late_after", Description: "late when first seen after this, such as 10m", Type: bot.OptDuration},
				{Name: "absence_alert_after", Description: "tell the facilitators after this many missed in a row (0: never)", Type: bot.OptInt},
				{Name: "voice_channel", Description: "the Discord voice or stage channel to watch", Type: bot.OptChannel},
				{Name: "series_voice", Description: "yes: watch the series' own voice channel again (forget voice_channel)", Type: bot.OptBool},
			},
			Run: f.cmdSettings},
		{Path: "mydata", Summary: "See everything tend holds about you", Access: bot.AccessAnyone, Group: bot.GroupNone, Run: f.cmdMyData},
		{Path: "forget", Summary: "Erase everything tend holds about you (facilitators: a roster entry, with user: or code:)", Access: bot.AccessAnyone, Group: bot.GroupOptional,
			Options: []bot.Option{userOpt, codeOpt}, Run: f.cmdForget},
		{Path: "optin", Summary: "After forget: let tend count your attendance, ask you to check in and message you again", Access: bot.AccessAnyone, Group: bot.GroupNone,
			Run: f.cmdOptIn},
	}
	for _, s := range specs {
		if err := f.b.Register(s); err != nil {
			return err
		}
	}
	for _, a := range []bot.ActionSpec{
		{Name: ActionHere, Run: f.pressHere},
		{Name: ActionForget, Access: bot.AccessAnyone, Run: f.pressForget},
		{Name: ActionErase, Access: bot.AccessFacilitator, Run: f.pressErase},
		{Name: ActionKeep, Access: bot.AccessAnyone, Run: func(context.Context, *bot.Request) ([]bot.Outbound, error) {
			return []bot.Outbound{bot.Reply("Nothing was erased.")}, nil
		}},
	} {
		if err := f.b.RegisterAction(a); err != nil {
			return err
		}
	}
	return nil
}

// location returns the group's zone, or a refusal that says how to fix it.
func location(g bot.Group) (*time.Location, error) {
	loc, err := g.Location()
	if err != nil {
		return nil, &bot.UserError{Msg: fmt.Sprintf("Group %s has no usable time zone (%v). A facilitator can fix it with /tend group setup or in the config file.", g.Name, err), Err: err}
	}
	return loc, nil
}

// parseUser reads the user: option: a mention or an account id (Discord,
// Slack), a name (the console).
func parseUser(platform, v string) (bot.UserID, error) {
	v = strings.TrimSpace(v)
	id, ok := bot.ParseMention(v)
	if !ok {
		id = bot.UserID(strings.TrimPrefix(v, "@"))
	}
	switch platform {
	case bot.PlatformDiscord:
		if bot.IsSnowflake(string(id)) {
			return id, nil
		}
	case bot.PlatformSlack:
		if bot.IsSlackID(string(id)) {
			return id, nil
		}
	default:
		if id != "" && !strings.ContainsAny(string(id), " \t<>@:") {
			return id, nil
		}
	}
	return "", bot.Errorf("%q does not name a person here: mention them, for example user:@sam.", v)
}

// target reads user: or code: into the person they name in group g: a
// roster entry (with its id), or an account not on the roster.
func (f *Feature) target(ctx context.Context, req *bot.Request, g bot.Group) (bot.Member, error) {
	u, c := req.Arg("user"), strings.ToUpper(strings.TrimSpace(req.Arg("code")))
	switch {
	case u != "" && c != "":
		return bot.Member{}, bot.Errorf("Give user: or code:, not both: either one finds the person.")
	case u != "":
		id, err := parseUser(g.Address.Platform, u)
		if err != nil {
			return bot.Member{}, err
		}
		m, err := f.st.MemberByUser(ctx, g.ID, id)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Member{GroupID: g.ID, User: id}, nil
		}
		return m, err
	case c != "":
		m, err := f.st.MemberByCode(ctx, g.ID, c)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Member{}, bot.Errorf("No one on %s's roster has the code %s. /tend roster list shows the codes; /tend roster add code:%s adds a code-only entry.", g.Name, c, c)
		}
		return m, err
	}
	return bot.Member{}, bot.Errorf("Say who: user:@name for someone on %s, or code:C-104 for a code-only roster entry.", g.Address.Platform)
}

// heldSession finds a session of g that was held or is being held, by its
// number or local date; "" means the running one, else the latest.
func (f *Feature) heldSession(ctx context.Context, g bot.Group, which string, now time.Time) (bot.Session, error) {
	loc, err := location(g)
	if err != nil {
		return bot.Session{}, err
	}
	held, err := f.st.HeldSessions(ctx, g.ID, time.Unix(0, 0), now.Add(time.Second))
	if err != nil {
		return bot.Session{}, err
	}
	if len(held) == 0 {
		return bot.Session{}, bot.Errorf("%s has not held a session yet, so there is nothing to mark. Marks are for sessions that have started.", g.Name)
	}
	if which == "" {
		for _, s := range held {
			if s.Status == bot.SessionRunning {
				return s, nil
			}
		}
		return held[len(held)-1], nil
	}
	var match func(bot.Session) bool
	if n, err := strconv.Atoi(which); err == nil {
		match = func(s bot.Session) bool { return s.Number == n }
	} else if d, err := time.ParseInLocation(time.DateOnly, which, loc); err == nil {
		match = func(s bot.Session) bool { return s.Start.In(loc).Format(time.DateOnly) == d.Format(time.DateOnly) }
	} else {
		return bot.Session{}, bot.Errorf("session:%q is neither a session number nor a date. Write the number, such as session:3, or the date as session:YYYY-MM-DD.", which)
	}
	for i := len(held) - 1; i >= 0; i-- {
		if match(held[i]) {
			return held[i], nil
		}
	}
	return bot.Session{}, bot.Errorf("%s held no session %s (only sessions that have started can be marked). /tend session log shows the sessions.", g.Name, which)
}

func (f *Feature) cmdMark(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	set, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	if !set.Enabled {
		return nil, bot.Errorf("%s does not record attendance (attendance: enabled: false in the config file), so a mark would go nowhere. Turn it on there and restart tend.", g.Name)
	}
	p, err := f.target(ctx, req, g)
	if err != nil {
		return nil, err
	}
	s, err := f.heldSession(ctx, g, req.Arg("session"), req.Now)
	if err != nil {
		return nil, err
	}
	if err := f.markable(ctx, g, s, p); err != nil {
		return nil, err
	}
	status := bot.AttendanceStatus(req.Arg("status"))
	m := bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: p.User, MemberID: p.ID}, Status: status,
		Source: SourceFacilitator, MarkedBy: req.Actor.Principal()}
	prev, err := f.st.MarkAttendance(ctx, m)
	if err != nil {
		return nil, err
	}
	names := newLabeler(g, []bot.Member{p})
	who, ok := names.label(m)
	if !ok {
		who = bot.Mention(g.Address.Platform, p.User)
	}
	text := fmt.Sprintf("Marked %s %s at session %d (%s).", who, status, s.Number, bot.Time(s.Start, bot.TimeDate))
	if prev != nil && prev.Status != status {
		text += fmt.Sprintf(" It was %s; the correction is in the audit log.", prev.Status)
	}
	if closed, err := f.st.AttendanceClosed(ctx, s.ID); err == nil && closed {
		text += " Reports use the new mark; the summary already sent is not changed."
	}
	return []bot.Outbound{bot.Reply(text)}, nil
}

// markable refuses a facilitator's mark of p at session s unless p is a
// member of g — an active roster entry, or someone in its channel (where
// the platform can tell; where it cannot, someone off the roster who took
// part in the group before) — or already has a mark there to correct; and
// refuses anyone who asked tend to forget them.
func (f *Feature) markable(ctx context.Context, g bot.Group, s bot.Session, p bot.Member) error {
	who := bot.Mention(g.Address.Platform, p.User)
	if p.User == "" {
		who = p.Code
	}
	if p.User != "" {
		tracked, err := f.b.Tracked(ctx, g)
		if err != nil {
			return err
		}
		if !tracked(p.User) {
			return bot.Errorf("%s asked tend to forget them, so tend does not record their attendance. If they want to be counted again, they can run %s.", who, optInCommand)
		}
	}
	if p.ID != 0 && p.Status == bot.MemberActive {
		return nil
	}
	marks, err := f.st.SessionMarks(ctx, s.ID)
	if err != nil {
		return err
	}
	key := bot.Attendee{User: p.User, MemberID: p.ID}.Key()
	if slices.ContainsFunc(marks, func(m bot.AttendanceMark) bool { return m.Key() == key }) {
		return nil // correcting the mark they have
	}
	if p.User == "" {
		return bot.Errorf("%s is no longer on %s's roster and has no mark at session %d to correct. /tend roster list shows who is on it.", who, g.Name, s.Number)
	}
	in, known, err := f.b.InChannel(ctx, g, p.User)
	if err != nil {
		return &bot.UserError{Msg: "tend could not check with " + g.Address.Platform + " that they are in the group just now. Try again in a moment.", Err: err}
	}
	if !known {
		// The platform cannot tell: someone off the roster who took part
		// before is a member; a roster entry that was removed says they
		// left.
		took, err := f.st.TookPart(ctx, g.ID, []bot.UserID{p.User})
		if err != nil {
			return err
		}
		in = p.ID == 0 && took[p.User]
	}
	if !in {
		return bot.Errorf("%s is not a member of %s: they are not on its roster and not in its channel, so they have no attendance to mark. "+
			"Check that you named the right person, or add them first with /tend roster add user:%s.", who, g.Name, who)
	}
	return nil
}

// dateRange reads from: and to: as days in the group's zone: [from, to).
func dateRange(req *bot.Request, g bot.Group) (from, to time.Time, err error) {
	loc, err := location(g)
	if err != nil {
		return from, to, err
	}
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, loc)
		return d
	}
	if v := req.Arg("from"); v != "" {
		from = day(v)
	}
	if v := req.Arg("to"); v != "" {
		to = day(v).AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, bot.Errorf("to: is before from:. Write the first day as from: and the last as to:, such as from:2027-01-01 to:2027-03-31.")
	}
	return from, to, nil
}

// Build reads the report of group g for sessions that started in [from,
// to); a zero bound is open.
func Build(ctx context.Context, st ReportStore, g bot.Group, from, to time.Time) (Report, error) {
	qFrom, qTo := from, to
	if qFrom.IsZero() {
		qFrom = time.Unix(0, 0)
	}
	if qTo.IsZero() {
		qTo = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	sessions, err := st.ClosedSessions(ctx, g.ID, qFrom, qTo)
	if err != nil {
		return Report{}, err
	}
	marks, err := st.GroupMarks(ctx, g.ID, qFrom, qTo)
	if err != nil {
		return Report{}, err
	}
	roster, err := st.RosterEntries(ctx, g.ID)
	if err != nil {
		return Report{}, err
	}
	return BuildReport(g, from, to, sessions, marks, roster), nil
}

func (f *Feature) cmdReport(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	from, to, err := dateRange(req, *req.Group)
	if err != nil {
		return nil, err
	}
	r, err := Build(ctx, f.st, *req.Group, from, to)
	if err != nil {
		return nil, err
	}
	var outs []bot.Outbound
	for _, m := range r.Messages() {
		outs = append(outs, bot.ReplyMessage(m))
	}
	return outs, nil
}

// cliCommand is the command line that writes the same report as CSV.
func cliCommand(g bot.Group, req *bot.Request) string {
	cmd := "tend report --group " + g.Name
	if v := req.Arg("from"); v != "" {
		cmd += " --from " + v
	}
	if v := req.Arg("to"); v != "" {
		cmd += " --to " + v
	}
	return cmd + " --format csv > " + g.Name + "-attendance.csv"
}

// ExportAudit is the audit line of an export of group g's attendance:
// who, which group, which dates and how much, never what it held. via says
// how ("chat", "tend report").
func ExportAudit(g bot.Group, actor bot.Principal, from, to string, r Report, via, format string) bot.AuditEntry {
	span := "all"
	if from != "" || to != "" {
		span = from + ".." + to
	}
	return bot.AuditEntry{GroupID: g.ID, Actor: actor, Action: "attendance.export",
		Detail: fmt.Sprintf("range=%s sessions=%d rows=%d via=%s format=%s", span, len(r.Sessions), len(r.Rows), via, format)}
}

// cmdExport hands the facilitator the CSV as a file only they get (a
// private attachment on Discord, a file in their direct messages on
// Slack, printed on the console), after writing the export in the audit
// log. A report too large for a chat file is left to the command line.
func (f *Feature) cmdExport(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	from, to, err := dateRange(req, g)
	if err != nil {
		return nil, err
	}
	r, err := Build(ctx, f.st, g, from, to)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		return nil, err
	}
	if buf.Len() > f.maxFile {
		return []bot.Outbound{bot.ReplyMessage(bot.Message{
			Title: "Export attendance of " + g.Name,
			Text: fmt.Sprintf("%d marks over %d sessions make a file of %s, too large to send in chat. Narrow the dates with from: and to:, or, "+
				"on the server where tend runs, write the CSV with this (it reads the database without disturbing tend):\n`%s`",
				len(r.Rows), len(r.Sessions), fileSize(buf.Len()), cliCommand(g, req)),
		})}, nil
	}
	if err := f.st.Audit(ctx, ExportAudit(g, req.Actor.Principal(), req.Arg("from"), req.Arg("to"), r, "chat", "csv")); err != nil {
		return nil, err
	}
	f.log.Info("attendance exported", bot.KeyGroup, g.Name, "rows", len(r.Rows), "sessions", len(r.Sessions))
	name := g.Name + "-attendance.csv"
	where := "attached here, for you only"
	if req.Event.Meta().Platform == bot.PlatformSlack {
		where = "in your direct messages with tend, for you only"
	}
	m := bot.Message{
		Title: "Attendance of " + g.Name + " — " + name,
		Text: fmt.Sprintf("%d marks over %d sessions (%s), as CSV: %s. The export is noted in the audit log, without its content. "+
			"Keep the file where your records belong, not in a shared channel.", len(r.Rows), len(r.Sessions), exportSpan(req), where),
	}
	return []bot.Outbound{bot.ReplyFile(m, bot.File{Name: name, ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()})}, nil
}

// fileSize says how large a file of n bytes is, in MB when it is that
// large (a file over the chat limit always is, but for a lowered limit).
func fileSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)>>10)
}

// exportSpan says which dates an export covers, in the words typed.
func exportSpan(req *bot.Request) string {
	from, to := req.Arg("from"), req.Arg("to")
	switch {
	case from == "" && to == "":
		return "all sessions"
	case to == "":
		return "from " + from
	case from == "":
		return "until " + to
	}
	return from + " to " + to
}

// optInCommand turns tracking back on after forget.
const optInCommand = "/tend optin"

// recordOptOut is the kind of personal record that says tend stopped
// tracking the person (store.RecordOptOut).
const recordOptOut = "optout"

// kindTitles orders and names the kinds of personal records.
var kindTitles = []struct{ kind, title string }{
	{recordOptOut, "Not tracked"},
	{"roster", "Groups you are in"}, {"facilitator", "Groups you facilitate"}, {"rsvp", "Your RSVPs"},
	{"reminder-dm", "Reminders by DM"}, {"attendance", "Your attendance"}, {"presence", "What counted as presence"},
	{"voice", "Time in voice channels"}, {"alert", "Absence alerts to the facilitators"},
}

// cmdMyData shows the person everything tend holds about them, privately:
// in as many replies as it takes (at most bot.MaxReplies); what does not
// fit is never cut silently — the last reply says how much more there is
// and carries all of it as a file only they get.
func (f *Feature) cmdMyData(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	platform := req.Event.Meta().Platform
	recs, err := f.st.PersonalData(ctx, platform, req.Actor.ID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("tend holds nothing about you on %s.", platform))}, nil
	}
	byKind := map[string][]string{}
	var other []string
	known := map[string]bool{}
	for _, k := range kindTitles {
		known[k.kind] = true
	}
	optedOut := false
	for _, r := range recs {
		line := r.What
		if r.Group != "" {
			line = r.Group + ": " + line
		}
		optedOut = optedOut || r.Kind == recordOptOut
		if known[r.Kind] {
			byKind[r.Kind] = append(byKind[r.Kind], line)
		} else {
			other = append(other, line)
		}
	}
	var sections []bot.Section
	for _, k := range kindTitles {
		if len(byKind[k.kind]) > 0 {
			sections = append(sections, bot.Section{Name: k.title, Lines: byKind[k.kind]})
		}
	}
	if len(other) > 0 {
		sections = append(sections, bot.Section{Name: "Other records", Lines: other})
	}
	head := bot.Message{
		Title:  "What tend holds about you",
		Text:   fmt.Sprintf("Everything tend keeps about your %s account, shown only to you. tend never reads or keeps the group's conversation.", platform),
		Footer: "/tend forget erases all of it.",
	}
	if optedOut {
		head.Footer = fmt.Sprintf("tend is not tracking you: %s lets it count you again. /tend forget erases the rest.", optInCommand)
	}
	const fileName = "mydata.txt"
	pages, left := bot.Paginate(head, sections, bot.MaxReplies, func(n int) string {
		return fmt.Sprintf("… and %d more records that do not fit here: every record is in the file %s, sent only to you.", n, fileName)
	})
	outs := make([]bot.Outbound, len(pages))
	for i, p := range pages {
		outs[i] = bot.ReplyMessage(p)
	}
	if left > 0 {
		outs[len(outs)-1].File = &bot.File{Name: fileName, ContentType: "text/plain; charset=utf-8", Data: recordsText(platform, sections)}
	}
	return outs, nil
}

// recordsText is every personal record as plain text for a file, times in
// UTC (a file cannot show them in its reader's zone).
func recordsText(platform string, sections []bot.Section) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "What tend holds about your %s account\n", platform)
	for _, s := range sections {
		fmt.Fprintf(&b, "\n%s\n", s.Name)
		for _, l := range s.Lines {
			b.WriteString("- " + bot.RenderTimes(l, func(t time.Time, st bot.TimeStyle) string {
				return bot.FormatTimeIn(t, st, time.UTC, t)
			}) + "\n")
		}
	}
	return []byte(b.String())
}

// cmdOptIn lets tend track the person again after forget.
func (f *Feature) cmdOptIn(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	platform := req.Event.Meta().Platform
	n, err := f.st.OptIn(ctx, platform, req.Actor.ID)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []bot.Outbound{bot.Reply("tend is already counting you wherever you take part: you have not asked it to forget you. /tend mydata shows what it holds about you.")}, nil
	}
	f.log.Info("a member opted back in", bot.KeyPlatform, platform, "markers", n)
	return []bot.Outbound{bot.Reply("Welcome back: from now on tend counts your attendance in the groups you are in, may ask you to check in, " +
		"and sends you what it sends members. Nothing erased earlier comes back. /tend forget stops it again.")}, nil
}

func (f *Feature) cmdForget(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	if req.Arg("user") == "" && req.Arg("code") == "" {
		return []bot.Outbound{bot.ReplyMessage(bot.Message{
			Title: "Erase everything tend holds about you?",
			Text: "This takes you off every group's roster here and erases your RSVPs, attendance, reminder settings and everything else tend keeps about you " +
				"(/tend mydata shows it all). Facilitators' audit lines that named you will read \"erased member\" instead. An access role you were given is taken back. " +
				"If you facilitate a group, you lose your facilitator rights there (an owner can give them back); what you did as a facilitator stays, by \"erased member\". " +
				"From then on tend does not count your attendance, ask you to check in or message you on its own, even if you stay in a group's channel, " +
				"until you run " + optInCommand + ". The erasure cannot be undone.",
			Buttons: []bot.Button{
				{Label: "Erase my data", Style: bot.ButtonDanger, Action: bot.Action{Name: ActionForget}},
				{Label: "Keep it", Action: bot.Action{Name: ActionKeep}},
			},
		})}, nil
	}
	if req.Group == nil {
		return nil, bot.Errorf("To erase someone's roster entry, run this in the group's channel or add group:NAME. To erase your own data, run /tend forget on its own.")
	}
	if !req.Facilitator {
		return nil, bot.Errorf("Only facilitators of %s can erase someone else's data. To erase your own, run /tend forget on its own.", req.Group.Name)
	}
	g := *req.Group
	p, err := f.target(ctx, req, g)
	if err != nil {
		return nil, err
	}
	if p.ID == 0 {
		return nil, bot.Errorf("%s is not on %s's roster, so there is no entry to erase. Members can erase their own data with /tend forget.", bot.Mention(g.Address.Platform, p.User), g.Name)
	}
	who, _ := newLabeler(g, []bot.Member{p}).label(bot.AttendanceMark{Attendee: bot.Attendee{User: p.User, MemberID: p.ID}})
	text := "This removes the roster entry and everything tend keeps about this person in this group: attendance, RSVPs, reminder settings, " +
		"check-in answers, agreements, and the record of messages tend sent them about it. The audit log keeps a line without their name. "
	if p.User != "" && g.IsFacilitator(bot.User{Platform: g.Address.Platform, ID: p.User}) {
		text += "They are a facilitator of " + g.Name + ": they lose their facilitator rights here. "
	}
	text += "If they stay in the channel, tend does not count them here again unless they run " + optInCommand + ". It cannot be undone."
	return []bot.Outbound{bot.ReplyMessage(bot.Message{
		Title: fmt.Sprintf("Erase %s from %s?", who, g.Name),
		Text:  text,
		Buttons: []bot.Button{
			{Label: "Erase", Style: bot.ButtonDanger, Action: bot.Action{Name: ActionErase, Group: g.ID, Ref: strconv.FormatInt(p.ID, 10)}},
			{Label: "Keep it", Action: bot.Action{Name: ActionKeep}},
		},
	})}, nil
}

// rowsText describes what an erasure removed.
func rowsText(er bot.Erasure) string {
	total := 0
	var tables []string
	for t, n := range er.Rows {
		total += n
		if n > 0 {
			tables = append(tables, t)
		}
	}
	slices.Sort(tables)
	return fmt.Sprintf("%d records (%s)", total, strings.Join(tables, ", "))
}

// settingsOptions are the attendance settings command's options, which are
// the config section's keys.
var settingsOptions = []string{"missed_you_dm", "min_minutes", "late_after", "absence_alert_after", "voice_channel"}

// cmdSettings shows a group's attendance settings or, given options,
// changes them with the same rules as the config file's attendance
// section. A group declared in the config file keeps what the file says:
// the file wins at every start.
func (f *Feature) cmdSettings(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	cur, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	n := &bot.Node{Kind: bot.NodeMap, Line: 1, Col: 1}
	clear := false
	if v := req.Arg("series_voice"); v != "" {
		clear, _ = bot.ParseBool(v) // the core checked it
		if clear && req.Arg("voice_channel") != "" {
			return nil, bot.Errorf("Give either voice_channel: (a channel to watch) or series_voice:yes (the series' own), not both.")
		}
	}
	for _, k := range settingsOptions {
		v := req.Arg(k)
		if v == "" {
			continue
		}
		if k == "voice_channel" {
			if id, ok := bot.ParseChannelMention(v); ok {
				v = string(id)
			} else {
				v = strings.TrimPrefix(strings.TrimSpace(v), "#")
			}
		}
		n.Fields = append(n.Fields, bot.NodeField{Key: k, At: &bot.Node{Kind: bot.NodeScalar, Value: k}, Value: &bot.Node{Kind: bot.NodeScalar, Value: v, Tag: "!!str"}})
	}
	if len(n.Fields) == 0 && !clear {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("Attendance in %s: %s.\nChange it with /tend attendance settings and one or more of %s, series_voice:yes.",
			g.Name, describe(cur), strings.Join(settingsOptions, ":, ")+":"))}, nil
	}
	if g.Source == bot.SourceConfig {
		return nil, bot.Errorf("%s is declared in the config file, which sets its attendance at every start: change the group's attendance section there, "+
			"check it with tend check, and restart tend. Now: %s.", g.Name, describe(cur))
	}
	var r bot.NodeReader
	next := readSettingsOver(&r, g, n, "", cur)
	if len(r.Problems) > 0 {
		var why []string
		for _, p := range r.Problems {
			line := strings.TrimPrefix(p.Field, ".") + ": " + p.Problem
			if p.Fix != "" {
				line += " (" + p.Fix + ")"
			}
			why = append(why, line)
		}
		return nil, bot.Errorf("Nothing changed. %s.", strings.Join(why, "; "))
	}
	if clear {
		next.VoiceChannel = ""
	}
	if err := f.st.SetAttendanceSettings(ctx, g.ID, &next); err != nil {
		return nil, err
	}
	if err := f.st.Audit(ctx, bot.AuditEntry{GroupID: g.ID, Actor: req.Actor.Principal(), Action: "attendance.settings", Detail: settingsDetail(next)}); err != nil {
		return nil, err
	}
	out := fmt.Sprintf("Saved. Attendance in %s: %s.", g.Name, describe(next))
	if sessionLen, ok := f.nextSessionLength(ctx, g); ok && time.Duration(next.MinMinutes)*time.Minute > sessionLen {
		out += fmt.Sprintf("\nNote: min_minutes (%d) is longer than the group's sessions (%d minutes), so nobody can count as present by voice.",
			next.MinMinutes, int(sessionLen.Minutes()))
	}
	return []bot.Outbound{bot.Reply(out)}, nil
}

// settingsDetail is the audit line of a settings change: the values, which
// hold nothing anyone wrote but a channel id.
func settingsDetail(s Settings) string {
	return fmt.Sprintf("missed_you_dm=%t min_minutes=%d late_after=%s absence_alert_after=%d voice_channel=%s",
		s.MissedYouDM, s.MinMinutes, shortDuration(s.LateAfter), s.AlertAfter, s.VoiceChannel)
}

// nextSessionLength returns how long g's sessions last, when it has a
// series (an error reading it only leaves the note out).
func (f *Feature) nextSessionLength(ctx context.Context, g bot.Group) (time.Duration, bool) {
	ser, err := f.st.Series(ctx, g.ID)
	if err != nil {
		if !errors.Is(err, bot.ErrNotFound) {
			f.log.Warn("reading the group's series failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
		}
		return 0, false
	}
	return ser.Schedule.Duration, ser.Schedule.Duration > 0
}
