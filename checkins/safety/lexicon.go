// Package safety is tend's own detection of words of risk in what a member
// sends the bot privately (check-in answers and direct messages; never the
// group's conversation). It is a reviewed English lexicon of the warning
// signs that public suicide-prevention guidance lists, grouped in
// families, read after normalisation (case, punctuation, missing
// apostrophes, common spellings, abbreviations and slang). The operator's
// phrases (safety.crisis_phrases) add to it.
//
// Lexical rules never catch every phrasing, so a second net follows them:
// words close to risk (near, nearEnd) alert as FamilyNear when no pattern
// named a sign.
//
// Everyday idioms use the same words harmlessly ("dying to see you",
// "killing it", "to die for", a phone that died). They are an allow-list
// of whole harmless readings: an idiom keeps a match (or a word close to
// risk) out only when the whole message reads harmlessly — the match must
// lie wholly inside the idiom, whose harmless completion is part of it
// ("cut my finger chopping onions"), and no cue of risk nor word close to
// it may appear anywhere else in the message. "I'm going to end it with a
// gun" alerts although "end it with …" is an idiom of breaking up.
//
// When in doubt it alerts: a false alarm costs a facilitator a minute, a
// miss can cost a life. Negation is not a reason to stay silent ("I'm not
// going to kill myself, but…" still tells a facilitator something).
//
// The phrase list lives here, in the open, with two sets of labelled
// lines in testdata: corpus.txt, which the lexicon is tuned against
// (every risk line must alert; the false-alarm rate on its idioms is
// reported), and heldout.txt, written separately, which must alert too,
// also with every idiom's trigger words added; audit2.txt and tuning.txt,
// the second audit's probes and the lines written to tune against for it;
// and frozen.txt, written before that tuning and never tuned against,
// which measures it (recall and false alarms, held to floors).
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
	FamilyUnsafe    Family = "not safe, a danger to themselves"
	// FamilyNear is the second net: words close to risk in a message no
	// pattern matched and no idiom reads harmlessly as a whole. It is not
	// a sign in itself; it asks a facilitator to read the words.
	FamilyNear Family = "words close to risk, no clear sign: ask them"
	// FamilyOperator is a match of one of the operator's crisis phrases.
	FamilyOperator Family = "a phrase the operator listed"
)

// Families lists the lexicon's own families, in the order the README
// documents them.
var Families = []Family{FamilyDie, FamilySuicide, FamilyPlan, FamilySelfHarm, FamilyHopeless, FamilyBurden, FamilyGoodbye, FamilyDisappear, FamilyUnsafe}

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
	rules  []rule
	idioms []*regexp.Regexp
	cues   *regexp.Regexp
	near   *regexp.Regexp
	// nearEnd is the second net's words that count only at the end of a
	// message.
	nearEnd *regexp.Regexp
	extra   []*regexp.Regexp
}

type rule struct {
	family Family
	re     *regexp.Regexp
	// at is the pattern anchored at the start of the text, leftmost-longest:
	// the longest match from a given word on.
	at *regexp.Regexp
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
		at, err := regexp.Compile("^(?:" + re.String() + ")")
		if err != nil {
			return nil, fmt.Errorf("safety: built-in pattern %q: %w", p.pattern, err)
		}
		at.Longest()
		l.rules = append(l.rules, rule{family: p.family, re: re, at: at})
	}
	for _, m := range idioms {
		re, err := compile(m.pattern)
		if err != nil {
			return nil, fmt.Errorf("safety: built-in idiom %q: %w", m.pattern, err)
		}
		l.idioms = append(l.idioms, re)
	}
	cues, err := compile(cues)
	if err != nil {
		return nil, fmt.Errorf("safety: built-in cues: %w", err)
	}
	l.cues = cues
	if l.near, err = compile(near); err != nil {
		return nil, fmt.Errorf("safety: built-in second net: %w", err)
	}
	if l.nearEnd, err = compile(nearEnd); err != nil {
		return nil, fmt.Errorf("safety: built-in second net: %w", err)
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
	near := false
	for _, v := range variants {
		// The operator's word wins over any idiom.
		for _, re := range l.extra {
			if re.MatchString(v) {
				found[FamilyOperator] = true
			}
		}
		spans := l.idiomSpans(v)
		var hidden []Family
		for _, r := range l.rules {
			if found[r.family] || !r.re.MatchString(v) {
				continue
			}
			if len(spans) == 0 || r.outside(v, spans) {
				found[r.family] = true
				continue
			}
			hidden = append(hidden, r.family)
		}
		// An idiom explained every match of these: it keeps them out only
		// when the whole message reads harmlessly — nothing outside the
		// idioms is a cue of risk or a word close to it.
		rest := mask(v, spans)
		if len(hidden) > 0 && (l.cues.MatchString(rest) || l.near.MatchString(rest)) {
			for _, f := range hidden {
				found[f] = true
			}
		}
		// The second net: words close to risk outside every idiom.
		// Words close to risk inside an idiom are harmless only when
		// nothing outside it is a cue of risk.
		if l.near.MatchString(rest) || l.nearEnd.MatchString(rest) ||
			len(spans) > 0 && l.cues.MatchString(rest) && (l.near.MatchString(v) || l.nearEnd.MatchString(v)) {
			near = true
		}
	}
	if len(found) == 0 && near {
		found[FamilyNear] = true
	}
	var res Result
	for _, f := range append(slices.Clone(Families), FamilyOperator, FamilyNear) {
		if found[f] {
			res.Families = append(res.Families, f)
		}
	}
	return res
}

// span is a part of a normalised text, from the space before its first
// word to the space after its last.
type span struct{ start, end int }

// idiomSpans returns where idioms are in v, overlapping ones merged, in
// order.
func (l *Lexicon) idiomSpans(v string) []span {
	var out []span
	for _, re := range l.idioms {
		// Matches share the spaces between words: look again from each
		// match's last space.
		for from := 0; from < len(v); {
			m := re.FindStringIndex(v[from:])
			if m == nil {
				break
			}
			out = append(out, span{from + m[0], from + m[1]})
			from += m[1] - 1
		}
	}
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b span) int { return a.start - b.start })
	merged := out[:1]
	for _, s := range out[1:] {
		last := &merged[len(merged)-1]
		if s.start < last.end {
			last.end = max(last.end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// outside reports whether r matches v somewhere that no idiom span holds
// whole: from a word outside every span, or from a word inside one but
// running past its end. Only the matches the scan finds and the words
// inside spans are looked at, not every word of v: a match from a word
// outside the spans is found by the scan (or one before it that runs past
// its span).
func (r rule) outside(v string, spans []span) bool {
	within := func(p int) (span, bool) {
		for _, s := range spans {
			if s.start <= p && p < s.end-1 {
				return s, true
			}
		}
		return span{}, false
	}
	// held reports whether the longest match from p stays inside s.
	held := func(p int, s span) bool {
		m := r.at.FindStringIndex(v[p:])
		return m == nil || p+m[1] <= s.end
	}
	for _, m := range r.re.FindAllStringIndex(v, -1) {
		s, ok := within(m[0])
		if !ok || !held(m[0], s) {
			return true
		}
	}
	for _, s := range spans {
		for p := s.start; p < s.end-1; p++ {
			if v[p] == ' ' && !held(p, s) {
				return true
			}
		}
	}
	return false
}

// mask returns v with the spans blanked out.
func mask(v string, spans []span) string {
	var b strings.Builder
	b.Grow(len(v))
	prev := 0
	for _, s := range spans {
		b.WriteString(v[prev:s.start])
		b.WriteString(" _ ")
		prev = s.end
	}
	b.WriteString(v[prev:])
	return b.String()
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
	"{pills}", `(pills|tablets|meds|medication|medications|painkillers|sleeping pills|sleeping tablets|paracetamol|tylenol|ibuprofen|aspirin|advil|codeine|tramadol|xanax|insulin|antidepressants|pill|drugs)`,
	"{many}", `(like |about |around |over |nearly |almost |maybe |at least |more than |another )?([1-9][0-9]+|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|hundreds of|dozens of|a dozen)`,
)
