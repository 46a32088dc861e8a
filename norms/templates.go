package norms

import (
	"slices"

	"github.com/tend-bot/tend/bot"
)

// Template is a built-in set of norms, drawn from common group practice.
type Template struct {
	// Name is how config and commands name it: "support".
	Name string
	// About says in a few words what kind of group it suits.
	About string
	// Items are the agreements, each with a one-line why where it helps.
	Items []string
}

// The agreements that recur across templates. Each is written from common
// practice in peer-support, psychoeducation and therapy groups: the
// contract a therapy group sets in its first session, the guidelines peer
// groups read at each meeting.
const (
	itemConfidential = "What is shared here stays here: no names or stories leave the group. People can only speak openly when they trust that."
	itemOwnStory     = "Speak from your own experience (\"I\", not \"you\" or \"everyone\"). Each person is the expert on their own life."
	itemListen       = "Listen without interrupting; one person speaks at a time. Being heard is much of what helps here."
	itemNoAdvice     = "No advice unless someone asks for it. Share what worked for you instead, if they want to hear it."
	itemWords        = "Put feelings into words, not actions. Anger, sadness and fear are welcome here; harming or threatening anyone is not."
	itemAttend       = "Come when you can, and say when you cannot (the \"Can't make it\" button, or tell a facilitator). The group notices who is missing."
	itemNoRecording  = "No recording, screenshots or forwarding of anything said or written here. What someone shared is theirs."
	itemPass         = "It is always fine to pass: you never have to share more than you want to."
	itemCrisis       = "In a crisis, do not wait for the next session: use the crisis resources below, and tell a facilitator when you can. This group is not an emergency service."
)

// templates returns the built-in templates in the order help lists them. It
// builds them afresh each time: no package-level mutable state.
func templates() []Template {
	return []Template{
		{
			Name:  "support",
			About: "a peer support group",
			Items: []string{itemConfidential, itemOwnStory, itemListen, itemNoAdvice, itemWords, itemAttend, itemNoRecording, itemPass, itemCrisis},
		},
		{
			Name:  "psychoeducation",
			About: "a course with a session per topic",
			Items: []string{
				"What others share stays in the group; what you learn here is yours to take and use anywhere.",
				"Come to every session you can, on time, and say in advance when you cannot. Each session builds on the one before.",
				itemOwnStory,
				"Questions are welcome at any point; there are no silly ones. Someone else is probably wondering too.",
				itemListen,
				itemNoAdvice,
				itemWords,
				"Try the practice between sessions if you can, and bring what happened, good or bad: both help the group learn.",
				itemNoRecording,
				itemCrisis,
			},
		},
		{
			Name:  "therapy",
			About: "a clinician-led therapy group",
			Items: []string{
				"Confidentiality: what is said in the group stays in the group. The facilitators keep it too, except where someone's safety or the law requires otherwise, and they will tell you if so.",
				"Put feelings into words rather than actions, in the group and outside it.",
				itemOwnStory,
				itemListen,
				"Give feedback, not advice: say how what you heard affects you.",
				"Come to every session and on time; tell a facilitator in advance when you cannot. Absences are talked about in the group.",
				"Contact between members outside the group is brought back into the group, so that nothing works behind its back.",
				itemNoRecording,
				itemCrisis,
			},
		},
		{
			Name:  "online",
			About: "etiquette for a group that meets in chat or voice",
			Items: []string{
				"What is shared here stays here: no screenshots, recordings or forwarding, of messages or of calls.",
				"Join from somewhere private if you can, so that nobody else overhears the group.",
				itemOwnStory,
				"Listen without interrupting: one person speaks at a time, so mute when you are not speaking, and in chat let a thread finish before starting another.",
				"Tone is easy to misread in writing: assume good intent, and ask before you react.",
				"Give a content note before describing something distressing, so that others can choose how to listen.",
				itemNoAdvice,
				"Keep personal details private: addresses, phone numbers and full names, yours and other people's.",
				itemWords,
				itemAttend,
				itemCrisis,
			},
		},
		{
			Name:  "team",
			About: "a staff or team meeting",
			Items: []string{
				"What is said about clients stays here; use codes, not names, in any chat or notes.",
				"Start and end on time; say in advance when you cannot come.",
				"Listen without interrupting; one person speaks at a time.",
				"Speak from your own experience and role.",
				"Disagree with ideas, not people; ask before you advise.",
				"No recording without everyone's agreement.",
				"If a client may be at risk, follow the clinic's safety procedure at once. For yourself, the crisis resources below are open to you too.",
			},
		},
	}
}

// TemplateNames lists the built-in templates' names.
func TemplateNames() []string {
	ts := templates()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// LookupTemplate returns the built-in template called name.
func LookupTemplate(name string) (Template, bool) {
	for _, t := range templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

// defaultTemplate is the template a group's norms start from when the
// config asks for norms without naming a template or items: the one that
// fits the group's kind.
func defaultTemplate(k bot.GroupKind) string {
	switch k {
	case bot.KindPsychoeducation, bot.KindSkills:
		return "psychoeducation"
	case bot.KindTherapy:
		return "therapy"
	case bot.KindTeam:
		return "team"
	}
	return "support"
}

// isTemplate reports whether name is a built-in template.
func isTemplate(name string) bool { return slices.Contains(TemplateNames(), name) }
