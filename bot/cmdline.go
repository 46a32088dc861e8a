package bot

import (
	"fmt"
	"strings"
	"unicode"
)

// ParseCommandText splits the text after "/tend" into positional words and
// name:value arguments. Values holding spaces are quoted with double quotes,
// straight or curly (phones type “…”): `session schedule weekly:"tue 18:00"
// count:8`. A quoted positional word is kept whole. Apostrophes are letters,
// never quotes, so that name:O'Brien is one value. Argument names are
// lowercased; values are kept as written.
func ParseCommandText(text string) (words []string, args map[string]string, err error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, nil, err
	}
	if err := singleQuoted(toks); err != nil {
		return nil, nil, err
	}
	args = map[string]string{}
	for _, t := range toks {
		if t.name != "" {
			name := strings.ToLower(t.name)
			if _, dup := args[name]; dup {
				return nil, nil, &UserError{Msg: fmt.Sprintf("%s: is given twice. Give each argument once.", name)}
			}
			args[name] = t.value
			continue
		}
		words = append(words, t.value)
	}
	return words, args, nil
}

type token struct {
	name  string // set for name:value
	value string
}

func tokenize(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		if i >= len(rs) {
			break
		}
		var name string
		// A bare word that is an identifier followed by ':' starts an
		// argument, unless it is a URL ("https://…") or a mention.
		j := i
		for j < len(rs) && (rs[j] == '_' || rs[j] == '-' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
			j++
		}
		if j > i && j < len(rs) && rs[j] == ':' && !(j+2 < len(rs) && rs[j+1] == '/' && rs[j+2] == '/') && unicode.IsLetter(rs[i]) {
			name = string(rs[i:j])
			i = j + 1
		}
		val, next, err := readValue(rs, i)
		if err != nil {
			return nil, err
		}
		i = next
		toks = append(toks, token{name: name, value: val})
	}
	return toks, nil
}

func readValue(rs []rune, i int) (string, int, error) {
	var b strings.Builder
	for i < len(rs) && !unicode.IsSpace(rs[i]) {
		switch q := rs[i]; q {
		case '"', '“', '”':
			closeQ := q
			if q != '"' {
				closeQ = '”'
			}
			i++
			start := i
			for i < len(rs) && rs[i] != closeQ && !(closeQ == '”' && rs[i] == '“') {
				i++
			}
			if i >= len(rs) {
				return "", 0, &UserError{Msg: fmt.Sprintf("A quote (%c) is not closed. Put the value in double quotes, for example weekly:\"tue 18:00\".", q)}
			}
			b.WriteString(string(rs[start:i]))
			i++
		default:
			b.WriteRune(rs[i])
			i++
		}
	}
	return b.String(), i, nil
}

// singleQuoted refuses what looks like a value put in single quotes
// ('tue 18:00'): apostrophes are letters, so it would be read as two
// words. A lone apostrophe (O'Brien, 'til) is fine.
func singleQuoted(toks []token) error {
	isOpen := func(r rune) bool { return r == '\'' || r == '‘' }
	isClose := func(r rune) bool { return r == '\'' || r == '’' }
	for i, t := range toks {
		rs := []rune(t.value)
		if len(rs) == 0 || !isOpen(rs[0]) || (len(rs) > 1 && isClose(rs[len(rs)-1])) {
			continue
		}
		for j := i + 1; j < len(toks) && toks[j].name == ""; j++ {
			rj := []rune(toks[j].value)
			if len(rj) == 0 || !isClose(rj[len(rj)-1]) {
				continue
			}
			words := []string{string(rs[1:])}
			for _, u := range toks[i+1 : j] {
				words = append(words, u.value)
			}
			words = append(words, string(rj[:len(rj)-1]))
			v := `"` + strings.Join(words, " ") + `"`
			if t.name != "" {
				v = t.name + ":" + v
			}
			return &UserError{Msg: fmt.Sprintf("Only double quotes hold words together (an apostrophe is part of the text, as in O'Brien). Write %s.", v)}
		}
	}
	return nil
}

// ParseMention returns the user id in a platform mention: <@U0123>,
// <@123456>, <@!123456>, or <@U0123|name> (Slack). A plain "@name" returns
// "name" (the console).
func ParseMention(s string) (UserID, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		id := strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
		id = strings.TrimPrefix(id, "!")
		id, _, _ = strings.Cut(id, "|")
		if id == "" {
			return "", false
		}
		return UserID(id), true
	}
	if strings.HasPrefix(s, "@") && len(s) > 1 && !strings.ContainsAny(s, " <>") {
		return UserID(s[1:]), true
	}
	return "", false
}

// ParseChannelMention returns the channel id in <#C0123> or <#C0123|name>.
func ParseChannelMention(s string) (ChannelID, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<#") && strings.HasSuffix(s, ">") {
		id, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(s, "<#"), ">"), "|")
		if id != "" {
			return ChannelID(id), true
		}
	}
	return "", false
}
