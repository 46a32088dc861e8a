package config

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/bot"
)

// sectionKeys returns the keys a mapping accepts: its own, the sections of
// the features this tend has, and the planned ones (refused with their own
// message rather than as unknown). Global section keys are dotted; prefix
// selects those of one mapping ("safety.").
func (d *decoder) sectionKeys(own []string, global bool, prefix string) []string {
	keys := slices.Clone(own)
	for _, s := range d.opts.Sections {
		if s.Global == global && strings.HasPrefix(s.Key, prefix) {
			keys = append(keys, strings.TrimPrefix(s.Key, prefix))
		}
	}
	for _, k := range d.planned() {
		if strings.Contains(k, ".") == global && strings.HasPrefix(k, prefix) && !slices.Contains(keys, strings.TrimPrefix(k, prefix)) {
			keys = append(keys, strings.TrimPrefix(k, prefix))
		}
	}
	return keys
}

// decodeSections hands each feature section present in m to its feature's
// Check and returns the nodes by section key; a planned key no section
// claims is refused as not available in this version.
func (d *decoder) decodeSections(m map[string]entry, path string, global bool, prefix string, g bot.Group, sections []bot.ConfigSection) map[string]*bot.Node {
	out := map[string]*bot.Node{}
	claimed := map[string]bool{}
	for _, s := range sections {
		if s.Global != global || !strings.HasPrefix(s.Key, prefix) {
			continue
		}
		key := strings.TrimPrefix(s.Key, prefix)
		claimed[key] = true
		e, ok := m[key]
		var n *bot.Node
		if ok {
			n = d.node(e.val)
		}
		for _, p := range d.checkSection(s, g, n, join(path, key)) {
			d.errs = append(d.errs, &Error{File: d.file, Line: p.Line, Column: p.Col, Field: p.Field, Problem: p.Problem, Fix: p.Fix})
		}
		if n != nil {
			out[s.Key] = n
		}
	}
	for _, k := range d.planned() {
		if strings.Contains(k, ".") != global || !strings.HasPrefix(k, prefix) {
			continue
		}
		key := strings.TrimPrefix(k, prefix)
		if e, ok := m[key]; ok && !claimed[key] {
			d.fail(e.key, join(path, key), "is not available in this version of tend: nothing would act on it",
				"remove the "+key+": section; it comes with the feature's release (see the README's feature list)")
		}
	}
	return out
}

// checkSection runs a feature's Check, turning a panic into a problem.
func (d *decoder) checkSection(s bot.ConfigSection, g bot.Group, n *bot.Node, path string) (ps []bot.ConfigProblem) {
	defer func() {
		if r := recover(); r != nil {
			line, col := 1, 1
			if n != nil {
				line, col = n.Line, n.Col
			}
			ps = []bot.ConfigProblem{{File: d.file, Line: line, Col: col, Field: path, Problem: "this section could not be checked (a bug in tend: please report it)"}}
		}
	}()
	if s.Check == nil {
		return nil
	}
	ps = s.Check(g, n, path)
	for i := range ps {
		if ps[i].File == "" {
			ps[i].File = d.file
		}
	}
	return ps
}

// node turns a YAML node into a bot.Node, keeping positions. Aliases are
// followed (bounded: a cycle cannot be written in YAML, and depth is
// limited by the parser).
func (d *decoder) node(n *yaml.Node) *bot.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	out := &bot.Node{File: d.file, Line: n.Line, Col: n.Column}
	switch {
	case isNull(n):
		out.Kind = bot.NodeNull
	case n.Kind == yaml.ScalarNode:
		out.Kind, out.Value, out.Tag = bot.NodeScalar, n.Value, n.Tag
	case n.Kind == yaml.SequenceNode:
		out.Kind = bot.NodeList
		for _, c := range n.Content {
			out.Items = append(out.Items, d.node(c))
		}
	case n.Kind == yaml.MappingNode:
		out.Kind = bot.NodeMap
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			out.Fields = append(out.Fields, bot.NodeField{Key: k.Value, At: &bot.Node{File: d.file, Line: k.Line, Col: k.Column, Kind: bot.NodeScalar, Value: k.Value}, Value: d.node(n.Content[i+1])})
		}
	}
	return out
}

// planned returns the planned section keys this parse refuses.
func (d *decoder) planned() []string {
	if d.opts.Planned != nil {
		return d.opts.Planned
	}
	return PlannedSections()
}
