package bot

import (
	"errors"
	"strings"
	"testing"
)

// FuzzActionCodec checks the button id codec both ways: Decode never panics
// and accepts only ids that Encode makes (a current id encodes back to
// itself; an earlier version's to an id that decodes the same), and every
// action Encode accepts, with or without the person it is for, decodes to
// itself within Discord's 100-character limit.
func FuzzActionCodec(f *testing.F) {
	c, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := c.Encode(Action{Name: "rsvp.yes", Group: 42, User: "U0123", Ref: "1234567"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("rsvp.yes", int64(42), "1234567", valid)
	f.Add("rsvp.no", int64(-1), "", "t1|rsvp.no|16|1|AAAAAAAAAAAAAAAA")
	f.Add("a|b", int64(0), "x|y", "t2||||")
	f.Fuzz(func(t *testing.T, name string, group int64, ref, id string) {
		if a, err := c.Decode(id); err == nil {
			again, err := c.Encode(a)
			if err != nil || (strings.HasPrefix(id, actionV2+"|") && again != id) {
				t.Fatalf("Decode(%q) = %+v, but Encode gives %q, %v: an id Encode did not make was accepted", id, a, again, err)
			}
			if b, err := c.Decode(again); err != nil || b != a {
				t.Fatalf("Decode(%q) = %+v; encoded again and decoded, %+v, %v", id, a, b, err)
			}
		} else if !errors.Is(err, ErrBadAction) {
			t.Fatalf("Decode(%q) failed with %v; want ErrBadAction", id, err)
		}
		for _, a := range []Action{{Name: name, Group: group, Ref: ref}, {Name: name, Group: group, User: UserID(ref), Ref: id}} {
			enc, err := c.Encode(a)
			if err != nil {
				continue
			}
			if len(enc) > MaxActionIDLen {
				t.Fatalf("Encode(%+v) = %q, %d characters; the limit is %d", a, enc, len(enc), MaxActionIDLen)
			}
			got, err := c.Decode(enc)
			if err != nil || got != a {
				t.Fatalf("Decode(Encode(%+v)) = %+v, %v", a, got, err)
			}
		}
	})
}
