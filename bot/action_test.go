package bot

import (
	"errors"
	"strings"
	"testing"
)

func TestActionCodec(t *testing.T) {
	c, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	a := Action{Name: "rsvp.yes", Group: 42, Ref: "1234567"}
	id, err := c.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) > MaxActionIDLen {
		t.Fatalf("id %q is %d chars", id, len(id))
	}
	got, err := c.Decode(id)
	if err != nil || got != a {
		t.Fatalf("Decode(Encode(a)) = %+v, %v; want %+v", got, err, a)
	}

	t.Run("TamperedGroup", func(t *testing.T) {
		forged := strings.Replace(id, "|"+"16"+"|", "|"+"17"+"|", 1) // 42 in base 36 is "16"
		if forged == id {
			t.Fatal("test did not alter the id")
		}
		if _, err := c.Decode(forged); !errors.Is(err, ErrBadAction) {
			t.Fatalf("Decode(forged) = %v, want ErrBadAction", err)
		}
	})
	t.Run("OtherKey", func(t *testing.T) {
		other, _ := NewActionCodec([]byte("another key of 16+ bytes......"))
		if _, err := other.Decode(id); !errors.Is(err, ErrBadAction) {
			t.Fatalf("Decode with another key = %v, want ErrBadAction", err)
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, s := range []string{"", "|", "t1|a|b|c|d", "x|rsvp.yes|16|1|abc", strings.Repeat("|", 50)} {
			if _, err := c.Decode(s); !errors.Is(err, ErrBadAction) {
				t.Errorf("Decode(%q) = %v, want ErrBadAction", s, err)
			}
		}
	})
	t.Run("TooLong", func(t *testing.T) {
		if _, err := c.Encode(Action{Name: "x", Ref: strings.Repeat("r", 90)}); err == nil {
			t.Fatal("Encode accepted an id over the limit")
		}
	})
	t.Run("ShortKey", func(t *testing.T) {
		if _, err := NewActionCodec([]byte("short")); err == nil {
			t.Fatal("NewActionCodec accepted a short key")
		}
	})
}

func TestActionCodec_Seal(t *testing.T) {
	c, _ := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	orig := []Button{{Label: "Yes", Action: Action{Name: "rsvp.yes", Group: 1, Ref: "9"}}}
	out := Outbound{Kind: OutPost, Message: Message{Buttons: orig}, Modal: &Modal{Action: Action{Name: "norms.edit", Group: 1}}}
	if err := c.Seal(&out); err != nil {
		t.Fatal(err)
	}
	if out.Message.Buttons[0].ID == "" || out.Modal.ID == "" {
		t.Fatalf("Seal left ids empty: %+v", out)
	}
	if orig[0].ID != "" {
		t.Fatal("Seal modified the caller's button slice")
	}
	if a, err := c.Decode(out.Message.Buttons[0].ID); err != nil || a != orig[0].Action {
		t.Fatalf("sealed id decodes to %+v, %v", a, err)
	}
}

// TestActionCodec_Pseudonym: a pseudonym is stable for the same key, scope
// and id, differs between ids, scopes and keys, and does not show the id.
func TestActionCodec_Pseudonym(t *testing.T) {
	a, _ := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	b, _ := NewActionCodec([]byte("fedcba9876543210fedcba9876543210"))
	p := a.Pseudonym("group/1", "123456789012345678")
	if len(p) != 9 || !strings.HasPrefix(p, "N-") || strings.Contains(p, "1234") {
		t.Errorf("pseudonym %q", p)
	}
	if again := a.Pseudonym("group/1", "123456789012345678"); again != p {
		t.Errorf("not stable: %q then %q", p, again)
	}
	for _, other := range []string{a.Pseudonym("group/1", "123456789012345679"), a.Pseudonym("group/2", "123456789012345678"), b.Pseudonym("group/1", "123456789012345678")} {
		if other == p {
			t.Errorf("%q repeats for another id, scope or key", p)
		}
	}
}
