package norms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

func (f *Feature) registerCommands(b *bot.Bot) error {
	specs := []bot.CommandSpec{
		{Path: "norms show", Summary: "The group's norms, and whether you agreed to them", Group: bot.GroupRequired, Applicants: true, Run: f.cmdShow},
		{Path: "norms agree", Summary: "Agree to the group's current norms (same as the I agree button)", Group: bot.GroupRequired, Applicants: true, Run: f.cmdAgree},
		{Path: "norms use", Summary: "Make a built-in template the group's norms (a new version)", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "template", Description: "which built-in norms", Required: true, Positional: true, Choices: TemplateNames()}},
			Run:     f.cmdUse},
		{Path: "norms edit", Summary: "Change the norms (a new version); opens a form with the current text", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "items", Description: `instead of the form: the agreements separated by ";"`}},
			Run:     f.cmdEdit},
		{Path: "norms post", Summary: "Post the norms in the group's channel and pin them", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "repost", Description: "also post them at the start of each session, or never", Choices: []string{bot.RepostEachSession, bot.RepostNever}}},
			Run:     f.cmdPost},
		{Path: "norms status", Summary: "Who agreed to which version, and who has not", Access: bot.AccessFacilitator, Group: bot.GroupRequired, Run: f.cmdStatus},
		{Path: "norms require", Summary: "Whether members must agree before taking part, and what access agreeing gives", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "require", Description: "on or off", Required: true, Positional: true, Choices: []string{"on", "off"}},
				{Name: "role", Description: "Discord: the role granted on agreeing (mention or id); none to stop", Placeholder: "@role or none"},
				{Name: "lobby_channel", Description: "Slack: the public channel newcomers arrive in; none to stop", Type: bot.OptChannel},
			},
			Run: f.cmdRequire},
	}
	for _, s := range specs {
		if err := b.Register(s); err != nil {
			return err
		}
	}
	for _, a := range []bot.ActionSpec{
		{Name: ActionAgree, Applicants: true, Run: f.pressAgree},
		{Name: ActionRead, Applicants: true, Run: f.cmdShow},
		{Name: ActionEdit, Access: bot.AccessFacilitator, Run: f.submitEdit},
	} {
		if err := b.RegisterAction(a); err != nil {
			return err
		}
	}
	return nil
}

// noNorms is the refusal for a group without norms.
func noNorms(g bot.Group, facilitator bool) error {
	if facilitator {
		return bot.Errorf("Group %s has no norms yet. Start from a template with /tend norms use %s (templates: %s), or write your own with /tend norms edit.",
			g.Name, defaultTemplate(g.Kind), strings.Join(TemplateNames(), ", "))
	}
	return bot.Errorf("Group %s has no norms yet. The facilitators will share them; nothing is needed from you meanwhile.", g.Name)
}

func (f *Feature) cmdShow(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noNorms(g, req.Facilitator)
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	ack, agreed, err := f.latestAck(ctx, g.ID, req.Actor.ID)
	if err != nil {
		return nil, err
	}
	l := layout{privacy: true}
	switch {
	case agreed && ack.Version == v.Version:
		l.footer = fmt.Sprintf("You agreed to this version on %s.", bot.Time(ack.At, bot.TimeShort))
	case agreed:
		l.footer = fmt.Sprintf("You agreed to version %d on %s; these changed since. Press I agree if you agree to them as they are now.", ack.Version, bot.Time(ack.At, bot.TimeShort))
		l.button = true
	default:
		l.footer = "You have not agreed to them yet. Press I agree when you have read them."
		if s.Require {
			l.footer = "You have not agreed to them yet; the group asks everyone to, before taking part. Press I agree when you have read them."
		}
		l.button = true
	}
	if req.Applicant {
		next, err := f.nextSession(ctx, g)
		if err != nil {
			return nil, err
		}
		l.fields = append(l.fields, bot.Field{Name: "Next session", Value: next})
	}
	return []bot.Outbound{bot.ReplyMessage(f.normsMessage(ctx, g, v, l))}, nil
}

// cmdAgree records the actor's agreement to the current version.
func (f *Feature) cmdAgree(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noNorms(g, req.Facilitator)
	}
	return f.agree(ctx, req, g, v)
}

// pressAgree is the "I agree" button. A button from an earlier version
// shows the current one instead of agreeing to text that has changed.
func (f *Feature) pressAgree(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	if req.Group == nil {
		return nil, bot.Errorf("This button does not name a group. Use /tend norms agree in the group's channel.")
	}
	g := *req.Group
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noNorms(g, req.Facilitator)
	}
	if shown, err := strconv.Atoi(req.Action.Ref); err != nil || shown != v.Version {
		msg := f.normsMessage(ctx, g, v, layout{
			intro:  fmt.Sprintf("The norms changed since that message: this is version %d. Nothing was recorded; press I agree below if you agree to them as they are now.", v.Version),
			button: true,
		})
		return []bot.Outbound{bot.ReplyMessage(msg)}, nil
	}
	return f.agree(ctx, req, g, v)
}

// agree records the actor's agreement to v and, where agreeing gives
// access, enqueues the job that gives it, in the same transaction. A
// newcomer to a closed group takes their place on its roster by agreeing,
// in that transaction too: active, or on the waitlist when it is full.
func (f *Feature) agree(ctx context.Context, req *bot.Request, g bot.Group, v bot.NormsVersion) ([]bot.Outbound, error) {
	user := req.Actor.ID
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	a, rec, err := f.applicant(ctx, g.ID, user)
	if err != nil {
		return nil, err
	}
	now := f.clock.Now()
	// Each press has a job of its own (per second, so that a double click
	// is one): pressing again after a facilitator fixed what refused the
	// role tries again. The job grants once per arrival.
	trigger := fmt.Sprintf("agreed-v%d-%d", v.Version, now.Unix())
	waiting := rec && a.State == bot.ApplicantWaiting
	var (
		jobs    []bot.Job
		placeBy bot.Principal
	)
	switch {
	case !s.Require:
	case waiting:
		// A newcomer: access follows agreement.
		jobs = append(jobs, admitJob(g.ID, user, a.Round, trigger))
		if g.Admission == bot.AdmissionClosed {
			placeBy = req.Actor.Principal()
		}
	case (!rec || a.State == bot.ApplicantGone) && (s.Role != "" || s.Lobby != ""):
		// A member tend did not welcome (there before agreement was
		// required): make sure they have the access agreeing gives, when
		// the platform does not say they have it (in the channel the role
		// opens, or the channel itself), so that a member pressing I agree
		// at each new version sends no request the platform need not see.
		in, known, err := f.b.InChannel(ctx, g, user)
		if err != nil {
			f.log.Debug("could not tell whether a member has access; giving it", bot.KeyGroup, g.Name, bot.KeyErr, err)
		}
		if !known || !in {
			jobs = append(jobs, admitJob(g.ID, user, 0, trigger))
		}
	}
	created, place, err := f.st.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: user, Version: v.Version, At: now}, placeBy, jobs)
	if err != nil {
		return nil, err
	}
	if len(jobs) > 0 {
		f.r.Notify()
	}
	if waiting && placeBy == "" && g.Capacity > 0 {
		// An open group with a capacity: a facilitator may have put them
		// on its waitlist.
		m, err := f.st.MemberByUser(ctx, g.ID, user)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, err
		}
		place = m
	}
	var b strings.Builder
	if created {
		fmt.Fprintf(&b, "Thank you: you agreed to version %d of the norms of %s (%s).", v.Version, g.Name, bot.Time(now, bot.TimeShort))
	} else {
		ack, _, err := f.latestAck(ctx, g.ID, user)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "You agreed to version %d of the norms of %s already, on %s; nothing changed.", v.Version, g.Name, bot.Time(ack.At, bot.TimeShort))
	}
	if waiting && s.Require {
		switch {
		case place.Status == bot.MemberWaitlisted:
			n, err := f.waitlistPlace(ctx, g, user)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, " The group is full just now: you are number %d on its waitlist, and tend will tell you privately when a place frees up.", n)
		case s.Role != "" && a.Pending:
			b.WriteString(" You get the group's role as soon as you have completed the server's rules screening (Discord shows it at the top of the server).")
		case s.Role != "":
			b.WriteString(" tend is giving you the group's role now.")
		case s.Lobby != "":
			b.WriteString(" tend is inviting you to " + channelRef(g.Address) + " now.")
		}
		if next, err := f.nextSession(ctx, g); err == nil {
			b.WriteString(" Next session: " + next)
		}
	}
	f.log.Debug("norms agreed", bot.KeyGroup, g.Name, bot.KeyUser, string(user), "version", v.Version, "new", created)
	return []bot.Outbound{bot.Reply(b.String())}, nil
}

// admitJob is the job that gives user access to groupID after agreeing,
// once per trigger (an agreement to a version, screening clearing, a place
// freeing up) in an arrival round.
func admitJob(groupID int64, user bot.UserID, round int, trigger string) bot.Job {
	return bot.Job{Kind: KindAdmit, Key: key(KindAdmit, groupID, string(user), strconv.Itoa(round), trigger), GroupID: groupID,
		Payload: jobPayload{User: user, Round: round}.bytes()}
}

// recheckJob is admitJob asking the platform whether the member's rules
// screening cleared, instead of trusting what tend last saw.
func recheckJob(groupID int64, user bot.UserID, round int, trigger string) bot.Job {
	j := admitJob(groupID, user, round, trigger)
	j.Payload = jobPayload{User: user, Round: round, Recheck: true}.bytes()
	return j
}

// fromFile refuses a change to a setting the config file declares.
func (f *Feature) fromFile(g bot.Group, s bot.NormsSettings, setting string) error {
	if slices.Contains(s.FromFile, setting) {
		return bot.Errorf("The norms' %s setting of group %s is set in %s, so it is changed there: edit its norms: section and restart tend.", setting, g.Name, f.configFile)
	}
	return nil
}

func (f *Feature) cmdUse(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	name := req.Arg("template")
	t, ok := LookupTemplate(name)
	if !ok {
		fix := "templates: " + strings.Join(TemplateNames(), ", ")
		if near, ok := bot.Nearest(name, TemplateNames()); ok {
			fix = fmt.Sprintf("did you mean %s? (%s)", near, fix)
		}
		return nil, bot.Errorf("There is no template %s: %s.", bot.Excerpt(name, 40), fix)
	}
	return f.newVersion(ctx, req, g, t.Items, "template:"+t.Name)
}

func (f *Feature) cmdEdit(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	if text := req.Arg("items"); text != "" {
		items := parseText(text)
		if err := checkItems(items); err != nil {
			return nil, err
		}
		return f.newVersion(ctx, req, g, items, "edit")
	}
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	value, ref := "", "0"
	if ok {
		value, ref = listText(v.Items), strconv.Itoa(v.Version)
	} else if t, ok := LookupTemplate(defaultTemplate(g.Kind)); ok {
		value = listText(t.Items)
	}
	modal := &bot.Modal{
		Title:  "Edit the norms",
		Action: bot.Action{Name: ActionEdit, Group: g.ID, Ref: ref},
		Inputs: []bot.Input{{
			ID: "text", Label: "One agreement per line", Long: true, Required: true, MaxLen: MaxText, Value: value,
			Placeholder: "1. What is shared here stays here.",
		}},
	}
	return []bot.Outbound{{Kind: bot.OutModal, Modal: modal}}, nil
}

// submitEdit saves the edit form as a new version, unless someone changed
// the norms while it was open.
func (f *Feature) submitEdit(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	if req.Group == nil {
		return nil, bot.Errorf("This form does not name a group. Use /tend norms edit in the group's channel.")
	}
	g := *req.Group
	items := parseText(req.Values["text"])
	if err := checkItems(items); err != nil {
		return nil, err
	}
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	opened, _ := strconv.Atoi(req.Action.Ref)
	if ok && opened != v.Version {
		return nil, bot.Errorf("The norms changed while you were editing (they are now version %d, by %s), so your text was not saved. Open /tend norms edit again and make your change there. What you wrote:\n%s",
			v.Version, v.Author, listText(items))
	}
	return f.newVersion(ctx, req, g, items, "edit")
}

// newVersion stores items as g's next version and, when the group requires
// agreement, asks every member privately to agree to it, in the same
// transaction.
func (f *Feature) newVersion(ctx context.Context, req *bot.Request, g bot.Group, items []string, source string) ([]bot.Outbound, error) {
	cur, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if ok && sameItems(cur.Items, items) {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("Those are the norms of %s already (version %d); nothing changed.", g.Name, cur.Version))}, nil
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	v, err := f.st.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: items, Author: req.Actor.Principal(), Source: source},
		func(v bot.NormsVersion) []bot.Job {
			if !s.Require {
				return nil
			}
			return []bot.Job{askJob(g.ID, v.Version)}
		})
	if err != nil {
		return nil, err
	}
	f.r.Notify()
	var b strings.Builder
	fmt.Fprintf(&b, "Saved version %d of the norms of %s (%s).", v.Version, g.Name, bot.Plural(len(items), "agreement", "agreements"))
	if s.Require {
		b.WriteString(" Every member is asked privately to agree to it; everyone keeps the access they have meanwhile, and newcomers need this version.")
	}
	b.WriteString(" /tend norms post posts it in the channel and pins it; /tend norms status shows who agreed.")
	return []bot.Outbound{bot.Reply(b.String())}, nil
}

func (f *Feature) cmdPost(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noNorms(g, true)
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	var jobs []bot.Job
	now := f.clock.Now()
	// One post per version and second: a second press of the command in
	// the same second (a double click) posts nothing more.
	post := bot.Job{Kind: KindPost, Key: key(KindPost, g.ID, strconv.Itoa(v.Version), strconv.FormatInt(now.Unix(), 10)), GroupID: g.ID, DueAt: now,
		Payload: jobPayload{Version: v.Version}.bytes()}
	jobs = append(jobs, post)
	repost := req.Arg("repost")
	if repost != "" && repost != s.Repost {
		if err := f.fromFile(g, s, "repost"); err != nil {
			return nil, err
		}
		s.Repost = repost
	}
	if err := f.st.SaveNormsSettings(ctx, req.Actor.Principal(), s, jobs); err != nil {
		return nil, err
	}
	f.r.Notify()
	text := fmt.Sprintf("Posting version %d of the norms in %s and pinning it (an older pinned copy is unpinned).", v.Version, channelRef(g.Address))
	switch {
	case repost == bot.RepostEachSession:
		text += " They are also posted at the start of each session from now on."
	case repost == bot.RepostNever && g.Admission == bot.AdmissionClosed:
		text += " They are no longer posted at each session, except at the first session (the contract session)."
	case repost == bot.RepostNever:
		text += " They are no longer posted at each session."
	}
	return []bot.Outbound{bot.Reply(text)}, nil
}

func (f *Feature) cmdRequire(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	on := req.Arg("require") == "on"
	if on != s.Require {
		if err := f.fromFile(g, s, "require"); err != nil {
			return nil, err
		}
	}
	v, haveNorms, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if on && !haveNorms {
		return nil, bot.Errorf("Group %s has no norms to agree to yet. Set them first with /tend norms use %s or /tend norms edit, then turn this on.", g.Name, defaultTemplate(g.Kind))
	}
	s.Require = on
	if r := req.Arg("role"); r != "" {
		if err := f.fromFile(g, s, "role"); err != nil {
			return nil, err
		}
		role, err := parseRole(g, r)
		if err != nil {
			return nil, err
		}
		s.Role = role
	}
	if l := req.Arg("lobby_channel"); l != "" {
		if err := f.fromFile(g, s, "lobby_channel"); err != nil {
			return nil, err
		}
		lobby, err := parseLobby(g, l)
		if err != nil {
			return nil, err
		}
		s.Lobby = lobby
	}
	var jobs []bot.Job
	if on {
		// Refuse up front what cannot work: a role tend cannot give, a
		// channel the gate would not hide.
		if err := f.checkGate(ctx, g, s); err != nil {
			if _, refused := bot.UserMessage(err); refused {
				return nil, err
			}
			return nil, &bot.UserError{Msg: fmt.Sprintf("tend could not check with %s just now that agreeing can give access to group %s. Try again in a minute.", g.Address.Platform, g.Name), Err: err}
		}
		// Members who have not agreed to the current version are asked,
		// once per version.
		jobs = append(jobs, askJob(g.ID, v.Version))
	}
	if err := f.st.SaveNormsSettings(ctx, req.Actor.Principal(), s, jobs); err != nil {
		return nil, err
	}
	f.r.Notify()
	if !on {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("Agreement to the norms of %s is no longer required: every member takes part, and newcomers are no longer welcomed or given access by tend.", g.Name))}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Members of %s now take part (check-ins, attendance) once they have agreed to the norms; members who have not are asked privately.", g.Name)
	switch {
	case s.Role != "":
		fmt.Fprintf(&b, " Newcomers to the server are welcomed privately and get the role %s after agreeing (never before Discord's rules screening clears). tend's own role must sit above it in Server Settings → Roles.", roleRef(s.Role))
	case s.Lobby != "":
		fmt.Fprintf(&b, " Newcomers to %s are welcomed privately and invited to %s after agreeing; keep %s private.", channelRef(bot.Address{Platform: g.Address.Platform, Channel: s.Lobby}), channelRef(g.Address), channelRef(g.Address))
	case g.Address.Platform == bot.PlatformDiscord:
		b.WriteString(" To let newcomers in only after they agree, name the role that opens the channel with role:@role.")
	case g.Address.Platform == bot.PlatformSlack:
		b.WriteString(" To let newcomers in only after they agree, make this channel private and name a public lobby_channel:#channel where they arrive.")
	}
	return []bot.Outbound{bot.Reply(b.String())}, nil
}

// parseRole reads a role mention or id for g, or "none".
func parseRole(g bot.Group, v string) (bot.RoleID, error) {
	if strings.EqualFold(v, "none") {
		return "", nil
	}
	if g.Address.Platform != bot.PlatformDiscord {
		return "", bot.Errorf("Roles are a Discord feature. On %s, name a public lobby_channel: where newcomers arrive; agreeing invites them to the group's channel.", g.Address.Platform)
	}
	id := strings.TrimSpace(v)
	if strings.HasPrefix(id, "<@&") && strings.HasSuffix(id, ">") {
		id = id[3 : len(id)-1]
	}
	if !bot.IsSnowflake(id) {
		return "", bot.Errorf("%s is not a Discord role: mention it (type @ and pick the role) or give its id, for example role:222333444555666777.", bot.Excerpt(v, 40))
	}
	if g.Guild == "" {
		return "", bot.Errorf("tend does not know which server group %s is in, so it cannot grant a role there. Run /tend group setup in the group's channel first (or set guild: in the config file).", g.Name)
	}
	return bot.RoleID(id), nil
}

// parseLobby reads a lobby channel for g, or "none".
func parseLobby(g bot.Group, v string) (bot.ChannelID, error) {
	if strings.EqualFold(v, "none") {
		return "", nil
	}
	if g.Address.Platform == bot.PlatformDiscord {
		return "", bot.Errorf("On Discord newcomers arrive in the server, not a lobby channel: name the role that opens the group's channel with role:@role instead.")
	}
	ch, ok := bot.ParseChannelMention(v)
	if !ok {
		ch = bot.ChannelID(strings.TrimPrefix(strings.TrimSpace(v), "#"))
	}
	if ch == g.Address.Channel {
		return "", bot.Errorf("The lobby is where newcomers wait before they are invited to %s, so it must be another channel: a public one everyone can join.", channelRef(g.Address))
	}
	if g.Address.Platform == bot.PlatformSlack && !bot.IsSlackID(string(ch)) {
		return "", bot.Errorf("%s is not a Slack channel: mention it (#channel) or give its id, such as C0123ABCD.", bot.Excerpt(v, 40))
	}
	return ch, nil
}
