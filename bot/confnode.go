package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NodeKind is what a config Node holds.
type NodeKind int

// Node kinds.
const (
	NodeNull   NodeKind = iota // nothing (a key with no value, or ~)
	NodeScalar                 // text, a number, true/false
	NodeList
	NodeMap
)

// Node is a piece of the config file handed to the feature that owns it:
// the YAML library's value turned into a neutral tree that keeps where each
// value was written, so that a feature validates its own section with
// file:line:col errors without importing the YAML library.
type Node struct {
	File string
	Line int // 1-based
	Col  int // 1-based
	Kind NodeKind
	// Value is a scalar's text.
	Value string
	// Tag is the YAML tag of a scalar: "!!str", "!!int", "!!bool" …
	Tag string
	// Items are a list's items.
	Items []*Node
	// Fields are a mapping's pairs, in file order.
	Fields []NodeField
}

// NodeField is one key: value pair of a mapping.
type NodeField struct {
	Key   string
	At    *Node // where the key was written
	Value *Node
}

// IsNull reports whether n holds nothing.
func (n *Node) IsNull() bool { return n == nil || n.Kind == NodeNull }

// ConfigProblem is one problem in a feature's config section, located in
// the file: what is wrong and what to write instead.
type ConfigProblem struct {
	File    string
	Line    int
	Col     int
	Field   string // the dotted path: groups[0].norms.template
	Problem string
	Fix     string
}

func (p ConfigProblem) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Col, p.Field, p.Problem)
	if p.Fix != "" {
		s += " — " + p.Fix
	}
	return s
}

// ConfigSection is a feature's part of a group's entry in the config file
// (norms:, checkins:, attendance:). The config package hands the section
// to Check while parsing, so that `tend check` reports its problems with
// the others, all at once; at start the feature applies the same node.
type ConfigSection struct {
	// Key is the section's key in a group's mapping: "norms". A global
	// section names its path from the top: "safety.crisis_phrases".
	Key string
	// Global: the section is at the top of the file, not in each group.
	Global bool
	// Check validates n (nil when the section is absent) at path (such
	// as "groups[2].norms") for group g (zero for a global section) and
	// returns every problem, located in the file. It must not panic.
	Check func(g Group, n *Node, path string) []ConfigProblem
	// Summary describes a checked section in one line for `tend check`
	// ("template support, agreement required"); nil or "" prints nothing.
	Summary func(g Group, n *Node) string
}

// NodeReader reads config nodes and collects every problem, located, in
// the same words as the rest of the config's errors. The zero value is
// ready.
type NodeReader struct {
	Problems []ConfigProblem
}

// Fail records a problem at n.
func (r *NodeReader) Fail(n *Node, field, problem, fix string) {
	p := ConfigProblem{Line: 1, Col: 1, Field: field, Problem: problem, Fix: fix}
	if n != nil {
		p.File = n.File
		if n.Line > 0 {
			p.Line, p.Col = n.Line, n.Col
		}
	}
	r.Problems = append(r.Problems, p)
}

// Map checks that n is a mapping of known keys and returns its values by
// key; unknown and repeated keys are problems, with the nearest known key
// suggested. A null n gives an empty map; anything else nil.
func (r *NodeReader) Map(n *Node, path string, known []string) map[string]*Node {
	out := map[string]*Node{}
	if n.IsNull() {
		return out
	}
	if n.Kind != NodeMap {
		name := path[strings.LastIndex(path, ".")+1:]
		r.Fail(n, path, "expected a mapping of keys, got "+describeNode(n), fmt.Sprintf("write the settings indented under %s:", name))
		return nil
	}
	for _, f := range n.Fields {
		field := path + "." + f.Key
		if _, dup := out[f.Key]; dup {
			r.Fail(f.At, field, "is set twice", "keep one of them")
			continue
		}
		if !slices.Contains(known, f.Key) {
			fix := "keys here: " + strings.Join(known, ", ")
			if near, ok := Nearest(f.Key, known); ok {
				fix = fmt.Sprintf("did you mean %q? (%s)", near, fix)
			}
			r.Fail(f.At, field, "unknown key "+strconv.Quote(f.Key), fix)
			continue
		}
		out[f.Key] = f.Value
	}
	return out
}

// scalar returns a scalar's text, reporting anything else.
func (r *NodeReader) scalar(n *Node, field, want, fix string) (string, bool) {
	if n == nil || n.Kind != NodeScalar {
		r.Fail(n, field, fmt.Sprintf("expected %s, got %s", want, describeNode(n)), fix)
		return "", false
	}
	return n.Value, true
}

// String reads text; ok is false when n is absent or wrong (reported).
func (r *NodeReader) String(n *Node, field string) (string, bool) {
	if n.IsNull() {
		return "", false
	}
	s, ok := r.scalar(n, field, "text", "write a single value, quoted if it contains special characters")
	return strings.TrimSpace(s), ok
}

// OneOf reads text that must be one of choices (case-insensitive).
func (r *NodeReader) OneOf(n *Node, field string, choices []string) (string, bool) {
	s, ok := r.String(n, field)
	if !ok {
		return "", false
	}
	ls := strings.ToLower(s)
	if slices.Contains(choices, ls) {
		return ls, true
	}
	fix := "write one of: " + strings.Join(choices, ", ")
	if near, ok := Nearest(ls, choices); ok {
		fix = fmt.Sprintf("did you mean %q? (write one of: %s)", near, strings.Join(choices, ", "))
	}
	r.Fail(n, field, fmt.Sprintf("%q is not one of %s", s, strings.Join(choices, ", ")), fix)
	return "", false
}

// Int reads a whole number in [lo, hi].
func (r *NodeReader) Int(n *Node, field string, lo, hi int) (int, bool) {
	if n.IsNull() {
		return 0, false
	}
	fix := fmt.Sprintf("write a number from %d to %d", lo, hi)
	s, ok := r.scalar(n, field, "a whole number", fix)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		r.Fail(n, field, "expected a whole number, got "+describeNode(n), fix)
		return 0, false
	}
	if v < lo || v > hi {
		r.Fail(n, field, fmt.Sprintf("%d is out of range", v), fix)
		return 0, false
	}
	return v, true
}

// Bool reads true/false, yes/no or on/off.
func (r *NodeReader) Bool(n *Node, field string) (bool, bool) {
	if n.IsNull() {
		return false, false
	}
	s, ok := r.scalar(n, field, "true or false", "write true or false")
	if !ok {
		return false, false
	}
	v, err := ParseBool(s)
	if err != nil {
		r.Fail(n, field, "expected true or false, got "+describeNode(n), "write true or false")
		return false, false
	}
	return v, true
}

// Duration reads a duration in [lo, hi].
func (r *NodeReader) Duration(n *Node, field string, lo, hi time.Duration) (time.Duration, bool) {
	if n.IsNull() {
		return 0, false
	}
	fix := fmt.Sprintf("write a duration from %s to %s, such as 10m or 1h30m", lo, hi)
	s, ok := r.scalar(n, field, "a duration", fix)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		r.Fail(n, field, fmt.Sprintf("%q is not a duration", s), fix)
		return 0, false
	}
	if v < lo || v > hi {
		r.Fail(n, field, fmt.Sprintf("%s is out of range", v), fix)
		return 0, false
	}
	return v, true
}

// Strings reads a list of texts, each at most maxLen bytes (0: no limit).
func (r *NodeReader) Strings(n *Node, field, example string, maxLen int) ([]string, bool) {
	if n.IsNull() {
		return nil, false
	}
	if n.Kind != NodeList {
		r.Fail(n, field, "expected a list, got "+describeNode(n), "write a list such as "+example)
		return nil, false
	}
	out := make([]string, 0, len(n.Items))
	all := true
	for i, it := range n.Items {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := r.scalar(it, f, "text", "write each item as a single value, such as "+example)
		if !ok {
			all = false
			continue
		}
		s = strings.TrimSpace(s)
		if maxLen > 0 && len(s) > maxLen {
			r.Fail(it, f, fmt.Sprintf("is %d characters long", len(s)), fmt.Sprintf("keep each to %d characters", maxLen))
			all = false
			continue
		}
		out = append(out, s)
	}
	return out, all
}

// describeNode names what a node holds, for "expected …, got …".
func describeNode(n *Node) string {
	switch {
	case n.IsNull():
		return "nothing"
	case n.Kind == NodeList:
		return "a list"
	case n.Kind == NodeMap:
		return "a mapping of keys"
	case n.Tag == "!!int" || n.Tag == "!!float":
		return "the number " + n.Value
	case n.Tag == "!!bool":
		return "the value " + n.Value
	default:
		return strconv.Quote(n.Value)
	}
}

// Nearest returns the candidate closest to s, when it is close enough to be
// a likely typo: a small edit distance, or one containing the other
// ("timezones" for "timezone"; not "tz").
func Nearest(s string, candidates []string) (string, bool) {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= max(2, len(s)/3) {
		return best, true
	}
	for _, c := range candidates {
		if len(s) >= 4 && (strings.Contains(c, s) || strings.Contains(s, c)) {
			return c, true
		}
	}
	return "", false
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
