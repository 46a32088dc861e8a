package bot

import (
	"strings"
	"testing"
)

func TestLineFields(t *testing.T) {
	if f := LineFields("Members", nil); f != nil {
		t.Fatalf("no lines gave %+v; want no field (platforms refuse an empty one)", f)
	}
	lines := make([]string, 30)
	for i := range lines {
		lines[i] = strings.Repeat("x", 99) // 100 with its newline
	}
	f := LineFields("Members", lines)
	if len(f) != 3 || f[0].Name != "Members" || f[1].Name != "Members (continued)" {
		t.Fatalf("fields %d: %+v", len(f), f)
	}
	total := 0
	for _, x := range f {
		if len(x.Value) > maxFieldText || strings.HasPrefix(x.Value, "\n") {
			t.Errorf("field of %d characters: %q…", len(x.Value), x.Value[:10])
		}
		total += strings.Count(x.Value, "x")
	}
	if total != 30*99 {
		t.Errorf("lost text: %d of %d", total, 30*99)
	}
}
