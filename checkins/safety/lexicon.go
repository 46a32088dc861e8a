// Package safety is tend's own detection of words of risk in what a member
// sends the bot privately (check-in answers and direct messages; never the
// group's conversation). It is a reviewed English lexicon of the warning
// signs that public suicide-prevention guidance lists, grouped in
// families, read after normalisation (case, punctuation, missing
// apostrophes, common spellings, abbreviations and slang), with everyday
// idioms that use the same words ("dying to see you", "killing it", "to die
// for") kept out where the sentence makes the harmless reading clear. The
// operator's phrases (safety.crisis_phrases) add to it.
//
// When in doubt it alerts: a false alarm costs a facilitator a minute, a
// miss can cost a life. Negation is not a reason to stay silent ("I'm not
// going to kill myself, but…" still tells a facilitator something).
//
// The phrase list lives here, in the open, with the labelled corpus in
// testdata/corpus.txt that its test reads: every risk line must alert,
// and the false-alarm rate on the idioms is reported.
package safety

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Family is a kind of warning sign, named as a facilitator would read it
// in an alert.
type Family string

// The families of warning signs that public guidance lists.
const (
	FamilyDie       Family = "wanting to die or not to exist"
	FamilySuicide   Family = "suicide or ending their life"
	FamilyPlan      Family = "a plan, a method or a time"
	FamilySelfHarm  Family = "self-harm"
	FamilyHopeless  Family = "hopelessness"
	FamilyBurden    Family = "feeling a burden"
	FamilyGoodbye   Family = "saying goodbye"
	FamilyDisappear Family = "disappearing for good"
	// FamilyOperator is a match of one of the operator's crisis phrases.
	FamilyOperator Family = "a phrase the operator listed"
)

// Families lists the lexicon's own families, in the order the README
// documents them.
var Families = []Family{FamilyDie, FamilySuicide, FamilyPlan, FamilySelfHarm, FamilyHopeless, FamilyBurden, FamilyGoodbye, FamilyDisappear}

// Result is what Examine found.
type Result struct {
	// Families are the kinds of sign found, each once, in the order of
	// Families (the operator's last).
	Families []Family
}

// Signal reports whether anything was found.
func (r Result) Signal() bool { return len(r.Families) > 0 }

// Strings returns the families as text.
func (r Result) Strings() []string {
	out := make([]string, len(r.Families))
	for i, f := range r.Families {
		out[i] = string(f)
	}
	return out
}

// Lexicon examines text for words of risk. It is safe for concurrent use.
type Lexicon struct {
	rules []rule
	masks []*regexp.Regexp
	extra []*regexp.Regexp
}

type rule struct {
	family Family
	re     *regexp.Regexp
}

// New returns the built-in lexicon with the operator's phrases added. A
// phrase matches when its words appear, in order and whole, in what a
// member wrote, after both are normalised; a phrase with no letters is an
// error.
func New(phrases []string) (*Lexicon, error) {
	l := &Lexicon{}
	for _, p := range builtin {
		re, err := compile(p.pattern)
		if err != nil {
			return nil, fmt.Errorf("safety: built-in pattern %q: %w", p.pattern, err)
		}
		l.rules = append(l.rules, rule{family: p.family, re: re})
	}
	for _, m := range idioms {
		re, err := compile(m)
		if err != nil {
			return nil, fmt.Errorf("safety: built-in idiom %q: %w", m, err)
		}
		l.masks = append(l.masks, re)
	}
	for _, p := range phrases {
		n := strings.TrimSpace(Normalize(p))
		if n == "" {
			return nil, fmt.Errorf("safety: crisis phrase %q has no words to match", p)
		}
		re, err := regexp.Compile(" " + regexp.QuoteMeta(n) + " ")
		if err != nil {
			return nil, fmt.Errorf("safety: crisis phrase %q: %w", p, err)
		}
		l.extra = append(l.extra, re)
	}
	return l, nil
}

// CheckPhrase reports whether p can be used as a crisis phrase, in words
// for the config's error.
func CheckPhrase(p string) error {
	if strings.TrimSpace(Normalize(p)) == "" {
		return fmt.Errorf("%q has no words to match", p)
	}
	return nil
}

// Examine reports the warning signs in text. It never logs, stores or
// returns the text.
func (l *Lexicon) Examine(text string) Result {
	n := Normalize(text)
	// Read the text twice: with letters repeated for emphasis cut to two
	// ("killll" → "kill") and to one ("dieee" → "die").
	variants := []string{shortenRuns(n, 2)}
	if v := shortenRuns(n, 1); v != variants[0] {
		variants = append(variants, v)
	}
	found := map[Family]bool{}
	for _, v := range variants {
		// Operator phrases are matched before idioms are masked: the
		// operator's word wins.
		for _, re := range l.extra {
			if re.MatchString(v) {
				found[FamilyOperator] = true
			}
		}
		for _, m := range l.masks {
			v = m.ReplaceAllString(v, " _ ")
		}
		for _, r := range l.rules {
			if !found[r.family] && r.re.MatchString(v) {
				found[r.family] = true
			}
		}
	}
	var res Result
	for _, f := range append(slices.Clone(Families), FamilyOperator) {
		if found[f] {
			res.Families = append(res.Families, f)
		}
	}
	return res
}

// compile turns a pattern of the lexicon into a regular expression over
// normalised text (words of a-z and 0-9 separated by single spaces, with a
// space at each end). A pattern is RE2 syntax in which a space is the
// space between two words and every group is non-capturing, plus macros:
// {f} stands for any number of filler words ("just", "really", "so" …),
// written right before the word it precedes ("want to {f}die"); {gap}
// for up to three words of any kind, also written before the next word;
// {me} for "myself" or "me"; {more} for "anymore" and its kin; {pills}
// for medicines. A pattern matches whole words only.
func compile(p string) (*regexp.Regexp, error) {
	p = macros.Replace(p)
	// "$" at the end: the last words of the message.
	end := " "
	if strings.HasSuffix(p, "$") {
		p, end = strings.TrimSuffix(p, "$"), " $"
	}
	var b strings.Builder
	b.WriteString(" ")
	for i := 0; i < len(p); i++ {
		b.WriteByte(p[i])
		if p[i] == '(' && (i+1 >= len(p) || p[i+1] != '?') {
			b.WriteString("?:")
		}
	}
	b.WriteString(end)
	return regexp.Compile(b.String())
}

var macros = strings.NewReplacer(
	"{f}", `((just|really|so|honestly|actually|literally|seriously|truly|kind of|sort of|totally|completely|fucking|fuckin|freaking|still|even|only|simply|all|also|genuinely|badly|desperately|very|definitely|probably|maybe|sometimes|often|always|now|already|going to|ever) )*`,
	"{gap}", `([a-z0-9_]+ ){0,5}`,
	"{me}", `(myself|me)`,
	"{more}", `(anymore|no more|no longer|much longer|any longer)`,
	"{pills}", `(pills|tablets|meds|medication|medications|painkillers|sleeping pills|paracetamol|tylenol|ibuprofen|insulin|antidepressants|pill|drugs)`,
)
