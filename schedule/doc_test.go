package schedule

import (
	"os"
	"strings"
	"testing"
)

// TestDocs_LimitsAndDST keeps README.md and config.example.yaml honest
// about schedules (issue 9, point 24): they state the limits this package
// holds, and say what happens to a time that does not exist or occurs
// twice, and how lead times count across a change.
func TestDocs_LimitsAndDST(t *testing.T) {
	if MinDuration.String() != "1m0s" || MaxDuration.String() != "24h0m0s" || MinLead.String() != "1m0s" || MaxLead.String() != "336h0m0s" ||
		MaxLeads != 10 || MaxCount != 10000 || MaxStartsAhead != 10 {
		t.Fatal("the limits changed: update README.md, config.example.yaml and this test")
	}
	for file, wants := range map[string][]string{
		"../README.md": {
			"| `duration` | 1m to 24h, whole minutes |",
			"1m to 336h (two weeks), whole minutes, each once, at most 10",
			"`lead:none` in chat",
			"| `count` | 1 to 10,000; not together with `until` |",
			"at most ten years ahead",
			"a time that does not exist",
			"is held at the first minute after the gap",
			"a time that occurs twice",
			"is held once, the first time",
			"Reminder lead times count elapsed time",
		},
		"../config.example.yaml": {
			"1m to 24h in whole minutes",
			"1m to 336h (two",
			"at most 10000",
			"more than ten years ahead is refused",
			"a time that does not",
			"moves forward to the",
			"a time that occurs twice",
			"held once, the first",
			"A lead counts elapsed time",
			"is lead:none",
		},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ")
		for _, w := range wants {
			if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s does not say %q", file, w)
			}
		}
	}
}
