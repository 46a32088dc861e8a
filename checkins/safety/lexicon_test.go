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
}

func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	f, err := os.Open("testdata/corpus.txt")
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
			t.Fatalf("corpus line %d has no label: %q", n, line)
		}
		fields := strings.Fields(label)
		l := corpusLine{n: n, text: strings.TrimSpace(text)}
		switch {
		case len(fields) == 2 && fields[0] == "risk":
			fam, ok := familyKeys[fields[1]]
			if !ok {
				t.Fatalf("corpus line %d: unknown family %q", n, fields[1])
			}
			l.risk, l.family = true, fam
		case len(fields) == 1 && fields[0] == "idiom":
		default:
			t.Fatalf("corpus line %d: label %q is neither risk <family> nor idiom", n, label)
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
	} {
		if !lex.Examine(s).Signal() {
			t.Errorf("%q: an idiom hid the risk beside it", s)
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
