package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/bot"
)

// decoder walks yaml.Nodes and collects every problem with its position.
type decoder struct {
	file  string
	opts  Options
	errs  Errors
	warns Errors
}

// entry is one key: value pair of a mapping.
type entry struct {
	key, val *yaml.Node
}

// set reports whether the pair is present with a non-null value.
func (e entry) set() bool { return e.val != nil && !isNull(e.val) }

func (d *decoder) fail(n *yaml.Node, field, problem, fix string) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Field: field, Problem: problem, Fix: fix})
}

// warn records a warning: something tend accepts but the operator should
// look at.
func (d *decoder) warn(n *yaml.Node, field, problem, fix string) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	d.warns = append(d.warns, &Error{File: d.file, Line: line, Column: col, Field: field, Problem: problem, Fix: fix})
}

// zone reads a time zone name at e, reporting an unknown one (with the
// right spelling when only the case is wrong) and warning about one that is
// likely not meant (EST: no daylight saving time).
func (d *decoder) zone(e entry, field string) (string, bool) {
	s, ok := d.str(e, field)
	if !ok {
		return "", false
	}
	if _, err := bot.LoadLocation(s); err != nil {
		d.failErr(e.val, field, err, zoneFix)
		return "", false
	}
	if note := bot.ZoneNote(s, d.opts.Now()); note != "" {
		p, f, _ := splitFix(note)
		d.warn(e.val, field, p, f)
	}
	return s, true
}

// failErr reports err, splitting a message of the form "problem: write …"
// into its problem and fix; fix is used when err carries none. A message
// that ends in its own example ("…, such as tuesday-support") loses the
// example when fix is given, so that the example is said once, in the fix.
func (d *decoder) failErr(n *yaml.Node, field string, err error, fix string) {
	p, f, example := splitFix(err.Error())
	if f == "" || (example && fix != "") {
		f = fix
	}
	d.fail(n, field, p, f)
}

// splitFix splits "problem: write X" (bot's style) into problem and fix,
// or "problem, such as X" and "problem (for example X)" into the problem
// and "such as X"; example reports the second kind.
func splitFix(msg string) (problem, fix string, example bool) {
	for _, sep := range []string{": write ", ": use ", ": give ", ": keep ", ": did you mean ", ": if ", "; write ", "; use ", " — "} {
		if i := strings.Index(msg, sep); i > 0 {
			return msg[:i], strings.TrimPrefix(msg[i+2:], " "), false
		}
	}
	for _, sep := range []string{" (for example ", ", such as ", " such as "} {
		if i := strings.Index(msg, sep); i > 0 {
			return msg[:i], "such as " + strings.TrimSuffix(msg[i+len(sep):], ")"), true
		}
	}
	return msg, "", false
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names what a node holds, for "expected …, got …".
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping of keys"
	case n.Tag == "!!int" || n.Tag == "!!float":
		return "the number " + n.Value
	case n.Tag == "!!bool":
		return "the value " + n.Value
	default:
		return strconv.Quote(n.Value)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// secretWords are keys that look like a secret written inline.
var secretWords = []string{"token", "secret", "password", "key", "bot_token", "app_token", "signing_secret", "client_secret", "api_key"}

// mapping checks that n is a mapping of known keys and returns its pairs by
// key. Unknown keys are reported with the nearest known key; keys that look
// like a secret written inline are told to use *_env or *_file instead. A
// null or missing node gives an empty map.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) map[string]entry {
	out := map[string]entry{}
	n = deref(n)
	if isNull(n) {
		return out
	}
	if n.Kind != yaml.MappingNode {
		name := path[strings.LastIndex(path, ".")+1:]
		d.fail(n, path, "expected a mapping of keys, got "+describe(n), fmt.Sprintf("write the settings indented under %s:, such as %s", name, exampleKey(known)))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		key := k.Value
		field := join(path, key)
		if key == "<<" {
			d.fail(k, field, "merge keys (<<) are not supported", "write the settings out in full")
			continue
		}
		if prev, dup := out[key]; dup {
			d.fail(k, field, fmt.Sprintf("is set twice (first on line %d)", prev.key.Line), "keep one of them")
			continue
		}
		if !contains(known, key) {
			d.fail(k, field, "unknown key "+strconv.Quote(key), d.unknownFix(key, known))
			continue
		}
		out[key] = entry{key: k, val: v}
	}
	return out
}

func (d *decoder) unknownFix(key string, known []string) string {
	lk := strings.ToLower(key)
	if contains(secretWords, lk) || strings.HasSuffix(lk, "_token") || strings.HasSuffix(lk, "_secret") || strings.HasSuffix(lk, "password") {
		env, file := lk+"_env", lk+"_file"
		for _, k := range known {
			if strings.HasSuffix(k, "_env") && (strings.Contains(lk, strings.TrimSuffix(k, "_env")) || strings.Contains(strings.TrimSuffix(k, "_env"), lk)) {
				env, file = k, strings.TrimSuffix(k, "_env")+"_file"
				break
			}
		}
		if contains(known, env) {
			return fmt.Sprintf("secrets never go in the config file: use %s (the name of an environment variable) or %s (a file holding the secret)", env, file)
		}
		return "secrets never go in the config file; this section takes none"
	}
	if near, ok := nearest(key, known); ok {
		return fmt.Sprintf("did you mean %q? (keys here: %s)", near, strings.Join(known, ", "))
	}
	return "keys here: " + strings.Join(known, ", ")
}

func exampleKey(known []string) string {
	if len(known) == 0 {
		return "key: value"
	}
	return known[0] + ": …"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns the text of a scalar node, reporting anything else.
func (d *decoder) scalar(n *yaml.Node, field, want, fix string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		d.fail(n, field, fmt.Sprintf("expected %s, got %s", want, describe(n)), fix)
		return "", false
	}
	return n.Value, true
}

// str reads text. Numbers are taken as their text (Discord ids written
// without quotes).
func (d *decoder) str(e entry, field string) (string, bool) {
	if !e.set() {
		return "", false
	}
	s, ok := d.scalar(e.val, field, "text", "write a single value, quoted if it contains special characters")
	return strings.TrimSpace(s), ok
}

// oneOf reads text that must be one of choices (case-insensitive).
func (d *decoder) oneOf(e entry, field string, choices []string) (string, bool) {
	s, ok := d.str(e, field)
	if !ok {
		return "", false
	}
	ls := strings.ToLower(s)
	if contains(choices, ls) {
		return ls, true
	}
	fix := "write one of: " + strings.Join(choices, ", ")
	if near, ok := nearest(ls, choices); ok {
		fix = fmt.Sprintf("did you mean %q? (write one of: %s)", near, strings.Join(choices, ", "))
	}
	d.fail(e.val, field, fmt.Sprintf("%q is not one of %s", s, strings.Join(choices, ", ")), fix)
	return "", false
}

// integer reads a whole number in [lo, hi].
func (d *decoder) integer(e entry, field string, lo, hi int, example string) (int, bool) {
	if !e.set() {
		return 0, false
	}
	s, ok := d.scalar(e.val, field, "a whole number", "write a number such as "+example)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		d.fail(e.val, field, "expected a whole number, got "+describe(e.val), "write a number such as "+example)
		return 0, false
	}
	if v < lo || v > hi {
		d.fail(e.val, field, fmt.Sprintf("%d is out of range", v), fmt.Sprintf("write a number from %d to %d", lo, hi))
		return 0, false
	}
	return v, true
}

// boolean reads yes/no, true/false or on/off.
func (d *decoder) boolean(e entry, field string) (bool, bool) {
	if !e.set() {
		return false, false
	}
	s, ok := d.scalar(e.val, field, "true or false", "write true or false")
	if !ok {
		return false, false
	}
	b, err := bot.ParseBool(s)
	if err != nil {
		d.fail(e.val, field, "expected true or false, got "+describe(e.val), "write true or false")
		return false, false
	}
	return b, true
}

const durationFix = "write a duration such as 90m, 1h30m or 24h (days as hours: 48h)"

// duration reads a positive Go duration.
func (d *decoder) duration(e entry, field string) (time.Duration, bool) {
	if !e.set() {
		return 0, false
	}
	s, ok := d.scalar(e.val, field, "a duration", durationFix)
	if !ok {
		return 0, false
	}
	return d.parseDuration(e.val, field, s)
}

func (d *decoder) parseDuration(n *yaml.Node, field, s string) (time.Duration, bool) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.fail(n, field, fmt.Sprintf("%q is not a duration", s), durationFix)
		return 0, false
	}
	if v <= 0 {
		d.fail(n, field, fmt.Sprintf("%q is not a positive duration", s), durationFix)
		return 0, false
	}
	return v, true
}

// date reads YYYY-MM-DD.
func (d *decoder) date(e entry, field string) (string, bool) {
	if !e.set() {
		return "", false
	}
	fix := "write a date as YYYY-MM-DD, such as " + bot.ExampleDate(d.opts.Now())
	s, ok := d.scalar(e.val, field, "a date", fix)
	if !ok {
		return "", false
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		d.fail(e.val, field, fmt.Sprintf("%q is not a date", s), fix)
		return "", false
	}
	return s, true
}

// limit reports text longer than max characters at n and returns whether
// it fits.
func (d *decoder) limit(n *yaml.Node, field, s string, max int, fix string) bool {
	l := utf8.RuneCountInString(s)
	if l <= max {
		return true
	}
	d.fail(n, field, fmt.Sprintf("is %d characters long; at most %d fit", l, max), fix)
	return false
}

// list returns the items of a sequence, reporting anything else.
func (d *decoder) list(e entry, field, example string) ([]*yaml.Node, bool) {
	if !e.set() {
		return nil, false
	}
	n := deref(e.val)
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "expected a list, got "+describe(n), "write a list such as "+example)
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = deref(c)
	}
	return items, true
}

// strs reads a list of texts.
func (d *decoder) strs(e entry, field, example string) ([]string, bool) {
	items, ok := d.list(e, field, example)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	all := true
	for i, it := range items {
		s, ok := d.scalar(it, index(field, i), "text", "write each item as a single value, such as "+example)
		if !ok {
			all = false
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, all
}
