package safety

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// corpusLine is one labelled line of testdata/corpus.txt.
type corpusLine struct {
	n      int
	risk   bool
	family Family
	text   string
}

var familyKeys = map[string]Family{
	"die": FamilyDie, "suicide": FamilySuicide, "plan": FamilyPlan, "selfharm": FamilySelfHarm,
	"hopeless": FamilyHopeless, "burden": FamilyBurden, "goodbye": FamilyGoodbye, "disappear": FamilyDisappear,
	"unsafe": FamilyUnsafe,
}

func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	return readLines(t, "testdata/corpus.txt")
}

// readLines reads a labelled file of lines: "risk <family> | text" or
// "idiom | text".
func readLines(t *testing.T, path string) []corpusLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "|")
		if !ok {
			t.Fatalf("%s:%d has no label: %q", path, n, line)
		}
		fields := strings.Fields(label)
		l := corpusLine{n: n, text: strings.TrimSpace(text)}
		switch {
		case len(fields) == 2 && fields[0] == "risk" && fields[1] == "any":
			l.risk = true // a line given without its family (the audit's)
		case len(fields) == 2 && fields[0] == "risk":
			fam, ok := familyKeys[fields[1]]
			if !ok {
				t.Fatalf("%s:%d: unknown family %q", path, n, fields[1])
			}
			l.risk, l.family = true, fam
		case len(fields) == 1 && fields[0] == "idiom":
		default:
			t.Fatalf("%s:%d: label %q is neither risk <family> nor idiom", path, n, label)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpus holds the lexicon to the labelled corpus: every risk line
// alerts, with its family among those found, and the false-alarm rate on
// the idioms is reported and kept at or below 5 %.
func TestCorpus(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := readCorpus(t)
	if len(lines) < 200 {
		t.Fatalf("the corpus has %d lines; it needs at least 200", len(lines))
	}
	var risks, idioms, falseAlarms int
	perFamily := map[Family]int{}
	for _, l := range lines {
		res := lex.Examine(l.text)
		if l.risk {
			risks++
			perFamily[l.family]++
			switch {
			case !res.Signal():
				t.Errorf("corpus line %d: risk line %q did not alert", l.n, l.text)
			case !slices.Contains(res.Families, l.family):
				t.Errorf("corpus line %d: %q alerted as %v; want %q among them", l.n, l.text, res.Families, l.family)
			}
			continue
		}
		idioms++
		if res.Signal() {
			falseAlarms++
			t.Logf("false alarm, corpus line %d: %q → %v", l.n, l.text, res.Families)
		}
	}
	for _, f := range Families {
		if perFamily[f] < 10 {
			t.Errorf("family %q has %d risk lines; want at least 10", f, perFamily[f])
		}
	}
	rate := float64(falseAlarms) / float64(idioms)
	t.Logf("corpus: %d risk lines, all must alert; %d idioms, %d false alarms (%.1f %%, target ≤ 5 %%)", risks, idioms, falseAlarms, 100*rate)
	if rate > 0.05 {
		t.Errorf("false-alarm rate on idioms %.1f %% is above 5 %%", 100*rate)
	}
}

// TestHeldOut holds the lexicon to lines written apart from the corpus it
// is tuned against: every one must alert, with its family among those
// found.
func TestHeldOut(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, "testdata/heldout.txt")
	if len(lines) < 120 {
		t.Fatalf("the held-out set has %d lines; it needs the audit's and at least 100 more", len(lines))
	}
	for _, l := range lines {
		if !l.risk {
			t.Fatalf("held-out line %d is not a risk line: %q", l.n, l.text)
		}
		res := lex.Examine(l.text)
		switch {
		case !res.Signal():
			t.Errorf("held-out line %d: %q did not alert", l.n, l.text)
		case !slices.Contains(res.Families, l.family):
			t.Errorf("held-out line %d: %q alerted as %v; want %q among them", l.n, l.text, res.Families, l.family)
		}
	}
	t.Logf("held-out: %d risk lines, all must alert", len(lines))
}

// fragmentTriggers are the words that made the old idiom filters hide
// risk (issue 11's audit): none of them may hide it now.
var fragmentTriggers = []string{"with a", "with a gun", "here", "there", "at midnight", "at 3", "on my arm", "on my", "while", "while crying",
	"when i get home", "after work", "forever", "for good", "lol", "lmao", "haha", "jk", "for today", "for now", "this weekend", "again",
	"on purpose", "going", "it", "to", "for", "time to", "let us", "we should", "i mean", "😂", "!!!", "..."}

// TestIdiomTriggersNeverHideRisk adds the fragments that made the old
// filters miss to every risk line of both sets, after it and before it,
// and every idiom's trigger words to a rotating share of them (every
// stride-th pair, offset by the line, so that each trigger meets lines of
// every kind and each line meets triggers of every idiom over the set;
// likewise the fragments, every fifth pair):
// each must still alert. An idiom beside risk never hides it. The share
// keeps the test fast (the whole product is 150,000 messages); under the
// race detector, which has nothing to find in one goroutine, it is
// thinner.
func TestIdiomTriggersNeverHideRisk(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	var triggers []string
	for _, id := range idioms {
		if len(id.triggers) == 0 {
			t.Errorf("idiom %q lists no trigger words", id.pattern)
		}
		re, err := compile(id.pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range id.triggers {
			// Each trigger must be one: it makes its idiom match.
			if !re.MatchString(Normalize(tr)) {
				t.Errorf("trigger %q does not match its idiom %q", tr, id.pattern)
			}
			triggers = append(triggers, tr)
		}
	}
	var risks []corpusLine
	for _, l := range append(readCorpus(t), readLines(t, "testdata/heldout.txt")...) {
		if l.risk {
			risks = append(risks, l)
		}
	}
	stride, fragStride := 13, 5
	if raceOn {
		stride, fragStride = 401, 59
	}
	n := 0
	check := func(l corpusLine, tr string) {
		// Punctuation reads as a space: "risk, trigger." is "risk trigger".
		for _, s := range []string{l.text + " " + tr, tr + " " + l.text} {
			n++
			if !lex.Examine(s).Signal() {
				t.Errorf("%q did not alert (risk line %q with %q)", s, l.text, tr)
			}
		}
	}
	for i, l := range risks {
		for j, tr := range fragmentTriggers {
			if (i+j)%fragStride == 0 {
				check(l, tr)
			}
		}
		for j, tr := range triggers {
			if (i+j)%stride == 0 {
				check(l, tr)
			}
		}
	}
	t.Logf("%d risk lines, %d fragments and %d idiom triggers (every %d-th pair, fragments every %d-th), before and after: %d messages, all alert",
		len(risks), len(fragmentTriggers), len(triggers), stride, fragStride, n)
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"I'm NOT OK!!!", " i am not ok "},
		{"can’t take it any more", " cannot take it anymore "},
		{"cant take it", " cannot take it "},
		{"wanna kms rn", " want to kill myself right now "},
		{"su1c1de", " suicide "},
		{"k!ll my self", " kill myself "},
		{"i'm 100% done", " i am 100 done "},
		{"gonna od 2nite", " going to overdose tonight "},
		{"  ", " "},
		{"no one cares", " nobody cares "},
		{"i want 2 die", " i want to die "},
		{"i took 2 pills", " i took 2 pills "},
		{"tonight's the night", " tonight is the night "},
		{"life's pointless", " life is pointless "},
		{"lifes pointless", " life is pointless "},
		{"let's go", " let us go "},
		{"ill be gone by morning", " i will be gone by morning "},
		{"i feel ill today", " i feel ill today "},
		{"wnat to dye", " want to die "},
		{"i want to dye my hair", " i want to dye my hair "},
		{"feeling suicidle", " feeling suicidal "},
		{"sucidial", " suicidal "},
		{"i want to disapear", " i want to disappear "},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	if got := shortenRuns(" killll dieee sooo good ", 2); got != " kill diee soo good " {
		t.Errorf("shortenRuns(2) = %q", got)
	}
	if got := shortenRuns(" killll dieee sooo good ", 1); got != " kil die so good " {
		t.Errorf("shortenRuns(1) = %q", got)
	}
}

func TestExamine_IdiomDoesNotHideRisk(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"i'm dying to see you all but honestly i want to die",
		"killing it at work and i still want to kill myself",
		"my phone died and i want to end it all",
		// The idiom of breaking up holds "ending it", but a cue of risk
		// stands elsewhere: the message does not read harmlessly.
		"i'm ending it with him. tonight.",
		"ended things with my therapist, nobody would notice anyway, i have pills",
		"i cut my finger chopping onions and then i kept cutting",
	} {
		if !lex.Examine(s).Signal() {
			t.Errorf("%q: an idiom hid the risk beside it", s)
		}
	}
	// The same idioms where the whole message reads harmlessly.
	for _, s := range []string{
		"i'm ending it with him, we've grown apart",
		"i cut my finger chopping onions",
		"let's end it here for today",
	} {
		if res := lex.Examine(s); res.Signal() {
			t.Errorf("%q alerted as %v", s, res.Families)
		}
	}
}

func TestExamine_OperatorPhrases(t *testing.T) {
	lex, err := New([]string{"Red Dragon", "can't breathe"})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"the red dragon is back":    true,
		"RED-DRAGON!!":              true,
		"i cant breathe":            true,
		"reddragon":                 false,
		"a red cat and a dragon":    false,
		"lovely day at the seaside": false,
	} {
		res := lex.Examine(s)
		if got := slices.Contains(res.Families, FamilyOperator); got != want {
			t.Errorf("%q: operator phrase found %v; want %v (%v)", s, got, want, res.Families)
		}
	}
	if _, err := New([]string{"!!!"}); err == nil {
		t.Error("a phrase with no words was accepted")
	}
	if err := CheckPhrase("  ?? "); err == nil {
		t.Error("CheckPhrase accepted a phrase with no words")
	}
}

func BenchmarkExamine(b *testing.B) {
	lex, err := New([]string{"red dragon"})
	if err != nil {
		b.Fatal(err)
	}
	text := "honestly today was a lot, work was stressful and the bus was late again but i'm managing ok"
	for b.Loop() {
		lex.Examine(text)
	}
}

// The floors TestFrozen holds the lexicon to on testdata/frozen.txt,
// chosen from what was measured after the second audit's fix (recall
// 156/186 = 83.9 %, false alarms 23/97 = 23.7 %; before it 62.4 % and
// 2.1 %), a little under and over so that a change that loses recall or
// adds false alarms fails here. The false alarms are the price of the
// second net (SAFETY.md: when in doubt, it alerts): everyday messages that
// use words close to risk in a shape no idiom knows.
const (
	frozenRecallFloor       = 0.83
	frozenFalseAlarmCeiling = 0.25
)

// TestFrozen measures the lexicon on testdata/frozen.txt, a set written
// before the lexicon was tuned for the second audit and never tuned
// against: it prints the recall on its risk lines and the false-alarm rate
// on its everyday lines, lists the lines it gets wrong, and holds both to
// the floors above.
func TestFrozen(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, "testdata/frozen.txt")
	var risks, caught, everyday, falseAlarms int
	for _, l := range lines {
		res := lex.Examine(l.text)
		if l.risk {
			risks++
			if res.Signal() {
				caught++
			} else {
				t.Logf("missed, frozen line %d: %q", l.n, l.text)
			}
			continue
		}
		everyday++
		if res.Signal() {
			falseAlarms++
			t.Logf("false alarm, frozen line %d: %q → %v", l.n, l.text, res.Families)
		}
	}
	if risks < 150 || everyday < 80 {
		t.Fatalf("the frozen set has %d risk and %d everyday lines; it needs at least 150 and 80", risks, everyday)
	}
	recall := float64(caught) / float64(risks)
	fa := float64(falseAlarms) / float64(everyday)
	t.Logf("frozen set: recall %d/%d = %.1f %%; false alarms %d/%d = %.1f %%", caught, risks, 100*recall, falseAlarms, everyday, 100*fa)
	if recall < frozenRecallFloor {
		t.Errorf("recall on the frozen set %.1f %% is below the floor %.0f %%", 100*recall, 100*frozenRecallFloor)
	}
	if fa > frozenFalseAlarmCeiling {
		t.Errorf("false alarms on the frozen set %.1f %% are above the ceiling %.0f %%", 100*fa, 100*frozenFalseAlarmCeiling)
	}
}

// TestTuning holds the lexicon to the lines it was tuned against for the
// second audit: the auditor's probes (testdata/audit2.txt) and the tuning
// lines (testdata/tuning.txt). Every risk line alerts; the everyday lines'
// false-alarm rate is printed and kept at or below 5 %.
func TestTuning(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	var risks, everyday, falseAlarms int
	for _, path := range []string{"testdata/audit2.txt", "testdata/tuning.txt"} {
		for _, l := range readLines(t, path) {
			res := lex.Examine(l.text)
			if l.risk {
				risks++
				if !res.Signal() {
					t.Errorf("%s:%d: risk line %q did not alert", path, l.n, l.text)
				}
				continue
			}
			everyday++
			if res.Signal() {
				falseAlarms++
				t.Logf("false alarm, %s:%d: %q → %v", path, l.n, l.text, res.Families)
			}
		}
	}
	rate := float64(falseAlarms) / float64(everyday)
	t.Logf("tuning lines: %d risk lines, all alert; %d everyday lines, %d false alarms (%.1f %%)", risks, everyday, falseAlarms, 100*rate)
	if rate > 0.05 {
		t.Errorf("false-alarm rate on the tuning lines' everyday lines %.1f %% is above 5 %%", 100*rate)
	}
}

// TestExamine_SecondNet: a message with words close to risk alerts
// although no pattern names a sign, unless the whole message reads
// harmlessly (an idiom holds those words and nothing outside it is close
// to risk or a cue); the idioms the audit found ending in a fragment hide
// nothing now.
func TestExamine_SecondNet(t *testing.T) {
	lex, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"my note is on the kitchen table",
		"i'm holding the knife right now",
		"see you on the other side",
		"i want to be with my dad again, in heaven",
		"dying to see my nan again, she's waiting for me on the other side",
		"note to self: buy milk. and the rope is ready",
		// The audit's fragments: an idiom that ends in "on", "at", "for
		// the", "to my" hid what came after it.
		"i can't do this at all anymore",
		"i cant cope this week, i want to disappear",
		"i wrote my note for the family",
		"i've written my letter to my mum. it's time.",
		"i wanted to say goodbye to the team",
		"i'm saying goodbye to my old life",
		"i've got it all planned for this weekend",
		"i'm a lost cause with a rope",
	} {
		if !lex.Examine(s).Signal() {
			t.Errorf("%q did not alert", s)
		}
	}
	if res := lex.Examine("my note is on the kitchen table"); !slices.Equal(res.Families, []Family{FamilyNear}) {
		t.Errorf("the second net alone: %v; want only %q", res.Families, FamilyNear)
	}
	if res := lex.Examine("i want to die, my note is ready"); slices.Contains(res.Families, FamilyNear) {
		t.Errorf("the second net beside a sign: %v; want the sign's family only", res.Families)
	}
	for _, s := range []string{
		"note to self: buy milk",
		"i burnt the pasta",
		"this queue is taking forever",
		"the meeting will be over soon",
		"i gave up sugar for lent",
		"i cannot do this on tuesday",
		"i wrote my notes for the exam",
		"saying goodbye to my old car",
		"i have it all planned out for the party",
	} {
		if res := lex.Examine(s); res.Signal() {
			t.Errorf("%q alerted as %v", s, res.Families)
		}
	}
}
