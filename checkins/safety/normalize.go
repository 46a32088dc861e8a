package safety

import (
	"strings"
	"unicode"
)

// Normalize turns what a person typed into the form the lexicon is written
// in: lower case; apostrophes dropped ("can't", "can’t" and "cant" read
// the same); digits and symbols that stand for letters inside a word read
// as those letters ("su1c1de", "k!ll"); every other character a word
// boundary; common contractions, abbreviations and misspellings written
// out ("im" → "i am", "wanna" → "want to", "kms" → "kill myself",
// "suicde" → "suicide"); single spaces between words, with one at each
// end, so that a pattern can anchor on whole words.
//
// Letters repeated for emphasis ("pleeeease", "killll") are handled by
// Examine, which reads the text with such runs shortened to two letters
// and to one.
func Normalize(s string) string {
	words := tokens(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	for i := 0; i < len(words); i++ {
		w := words[i]
		// Two-word spellings that are one word.
		if i+1 < len(words) {
			if j, ok := joined[w+" "+words[i+1]]; ok {
				w = j
				i++
			}
		}
		if r, ok := respell[w]; ok {
			w = r
		}
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		// "ill" for "i'll" before a verb ("ill be gone", "ill do it");
		// "dye" for "die" unless something is dyed ("want to dye my
		// hair").
		if w == "ill" && illVerbs[next] {
			w = "i will"
		}
		if w == "dye" && !dyed[next] {
			w = "die"
		}
		// "want 2 die", "going 2 do it": a 2 after a verb that takes "to".
		if w == "2" && i > 0 && i+1 < len(words) && takesTo(b.String()) {
			w = "to"
		}
		if w == "" {
			continue
		}
		b.WriteString(w)
		b.WriteByte(' ')
	}
	return b.String()
}

// tokens splits s into lower-case words of letters and digits.
// Apostrophes (straight and curly) join the letters around them; a digit
// or look-alike symbol between letters is read as the letter it resembles.
func tokens(s string) []string {
	s = strings.ToLower(s)
	rs := []rune(s)
	var (
		out []string
		cur []rune
	)
	flush := func() {
		if len(cur) > 0 {
			out = append(out, deLeet(cur))
			cur = cur[:0]
		}
	}
	skip := 0
	for i, r := range rs {
		if i < skip {
			continue
		}
		switch {
		case isApostrophe(r):
			if len(cur) == 0 || i+1 >= len(rs) || !unicode.IsLetter(rs[i+1]) {
				flush()
				continue
			}
			// "i'll", "we're", "i've", "i'm", "i'd": the word, then the
			// verb written out. Otherwise the apostrophe is dropped and
			// the word goes on: "can't" is "cant", "it's" is "its", which
			// respell reads.
			end := i + 1
			for end < len(rs) && unicode.IsLetter(rs[end]) {
				end++
			}
			if verb, ok := contractions[string(rs[i+1:end])]; ok {
				flush()
				out = append(out, verb)
				skip = end
			} else if string(rs[i+1:end]) == "s" && !keepS[string(cur)] {
				// "life's pointless", "tonight's the night": the word,
				// then "is". A possessive reads the same way ("mum's
				// pills" is "mum is pills"), which no pattern minds.
				flush()
				out = append(out, "is")
				skip = end
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case leetSymbol(r) != 0 && len(cur) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			// "k!ll", "a$$": a symbol inside a word.
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// keepS are the words whose "'s" respell reads as a whole ("let's" is
// "let us", "it's" is "it is").
var keepS = map[string]bool{"let": true, "it": true, "that": true, "what": true, "there": true, "where": true, "he": true, "she": true, "who": true, "nobody": true, "nothing": true, "everyone": true}

// contractions are the endings after an apostrophe that are a verb of
// their own.
var contractions = map[string]string{"ll": "will", "re": "are", "ve": "have", "m": "am", "d": "would"}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u2018', '\u02bc', '`', '\u00b4':
		return true
	}
	return false
}

func leetSymbol(r rune) rune {
	switch r {
	case '!':
		return 'i'
	case '@':
		return 'a'
	case '$':
		return 's'
	}
	return 0
}

// deLeet reads digits and symbols as letters in a word that has letters:
// "su1c1de" is "suicide", "d13" is "die"; "100" stays a number.
func deLeet(w []rune) string {
	letters := false
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters = true
			break
		}
	}
	if !letters {
		return string(w)
	}
	if _, ok := keepDigits[string(w)]; ok {
		return string(w)
	}
	out := make([]rune, len(w))
	for i, r := range w {
		switch r {
		case '0':
			r = 'o'
		case '1':
			r = 'i'
		case '3':
			r = 'e'
		case '4':
			r = 'a'
		case '5':
			r = 's'
		case '7':
			r = 't'
		default:
			if l := leetSymbol(r); l != 0 {
				r = l
			}
		}
		out[i] = r
	}
	return string(out)
}

// takesTo reports whether the text so far ends in a verb that "to"
// follows ("want", "going", "need" …), so that a "2" after it is "to".
func takesTo(sofar string) bool {
	sofar = strings.TrimSuffix(sofar, " ")
	last := sofar[strings.LastIndexByte(sofar, ' ')+1:]
	switch last {
	case "want", "wnt", "wanted", "wanting", "going", "need", "needed", "ready", "wish", "like", "trying", "tried", "try", "hope", "deserve", "have", "got", "used", "about", "planning", "plan", "decided", "able":
		return true
	}
	return false
}

// illVerbs are the words after which "ill" is "i'll".
var illVerbs = map[string]bool{
	"be": true, "do": true, "just": true, "never": true, "not": true, "go": true, "end": true, "kill": true, "take": true,
	"finally": true, "still": true, "have": true, "make": true, "see": true, "miss": true, "die": true, "leave": true,
	"probably": true, "definitely": true, "jump": true, "hurt": true, "cut": true, "disappear": true, "stop": true,
	"try": true, "get": true, "give": true, "say": true, "write": true, "sleep": true, "no": true, "always": true,
}

// dyed are the words after "dye" that say something is being dyed.
var dyed = map[string]bool{
	"my": true, "your": true, "her": true, "his": true, "their": true, "our": true, "the": true, "it": true, "them": true,
	"a": true, "some": true, "this": true, "that": true, "these": true, "those": true, "hair": true, "eggs": true, "clothes": true,
	"fabric": true, "shirt": true, "jeans": true, "wool": true, "yarn": true, "blue": true, "red": true, "pink": true,
	"purple": true, "green": true, "black": true, "blonde": true, "brown": true, "job": true,
}

// keepDigits are words with digits that are abbreviations, read by respell
// rather than as look-alike letters.
var keepDigits = map[string]struct{}{
	"2nite": {}, "2night": {}, "2day": {}, "2moro": {}, "2morrow": {}, "2mrw": {}, "b4": {}, "no1": {}, "any1": {}, "every1": {}, "some1": {},
	"4ever": {}, "4eva": {}, "gr8": {}, "l8r": {}, "m8": {},
}

// joined are two-word spellings of one word.
var joined = map[string]string{
	"my self": "myself", "any more": "anymore", "for ever": "forever", "good bye": "goodbye", "self harm": "selfharm",
	"sewer slide": "suicide", "no one": "noone", "can not": "cannot", "some one": "someone", "every one": "everyone",
	"un alive": "unalive", "off my self": "offmyself",
}

// respell writes out contractions (apostrophes are gone by now),
// abbreviations, slang and common misspellings. A value may be several
// words.
var respell = map[string]string{
	// contractions
	"im": "i am", "ive": "i have", "id": "i would", "youre": "you are", "youll": "you will", "theyre": "they are",
	"theyd": "they would", "theyll": "they will", "hes": "he is", "shes": "she is", "its": "it is", "thats": "that is",
	"theres": "there is", "whats": "what is", "wheres": "where is", "lets": "let us", "cant": "cannot", "cannot": "cannot",
	"dont": "do not", "doesnt": "does not", "didnt": "did not", "wont": "will not", "wouldnt": "would not",
	"shouldnt": "should not", "couldnt": "could not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
	"werent": "were not", "aint": "am not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
	"wouldve": "would have", "shouldve": "should have", "couldve": "could have", "itll": "it will",
	"noone": "nobody", "nobodys": "nobody is", "nothings": "nothing is", "everyones": "everyone is",
	// slang and abbreviations
	"wanna": "want to", "wana": "want to", "wan": "want", "gonna": "going to", "gunna": "going to", "gona": "going to",
	"finna": "going to", "imma": "i am going to", "ima": "i am going to", "gotta": "got to", "tryna": "trying to",
	"kinda": "kind of", "sorta": "sort of", "dunno": "do not know", "idk": "i do not know", "idc": "i do not care",
	"idgaf": "i do not care", "u": "you", "ur": "your", "r": "are", "ya": "you", "yall": "you all", "b4": "before",
	"rn": "right now", "tn": "tonight", "tonite": "tonight", "tonigt": "tonight", "2nite": "tonight", "2night": "tonight",
	"2day": "today", "2moro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow",
	"tomoro": "tomorrow", "tommorow": "tomorrow", "tomorow": "tomorrow", "bc": "because", "cuz": "because", "coz": "because",
	"cos": "because", "pls": "please", "plz": "please", "ppl": "people", "smth": "something", "sth": "something",
	"no1": "nobody", "any1": "anyone", "every1": "everyone", "some1": "someone", "4ever": "forever", "4eva": "forever",
	"forevr": "forever", "evry": "every", "evrything": "everything", "everythin": "everything", "nothin": "nothing",
	"anymre": "anymore", "anymroe": "anymore", "nemore": "anymore", "w": "with", "wit": "with", "thru": "through",
	"jus": "just", "jst": "just", "rly": "really", "srsly": "seriously", "fam": "family",
	// self-harm and suicide slang
	"kms": "kill myself", "kmsl": "kill myself", "unalive": "kill", "unaliving": "killing", "unalived": "killed",
	"offmyself": "kill myself", "ctb": "suicide", "sewerslide": "suicide", "suiside": "suicide", "suicde": "suicide",
	"sucide": "suicide", "suiced": "suicide", "suicid": "suicide", "suecide": "suicide", "suacide": "suicide",
	"sucidal": "suicidal", "suicidle": "suicidal", "sucidial": "suicidal", "suiciddal": "suicidal", "suicidall": "suicidal",
	"suisidle": "suicidal", "sucidle": "suicidal", "suisaidal": "suicidal", "suicidale": "suicidal",
	"disapear": "disappear", "dissapear": "disappear", "dissappear": "disappear", "disappeer": "disappear", "disapper": "disappear",
	"lifes": "life is", "everythings": "everything is", "tonights": "tonight is", "todays": "today is", "worlds": "world is",
	"nobodyll": "nobody will", "noonell": "nobody will", "everyonell": "everyone will", "suicdal": "suicidal", "suicidel": "suicidal", "suisidal": "suicidal", "suicidial": "suicidal",
	"selfharm": "self harm", "selfharming": "self harming", "od": "overdose", "oding": "overdosing",
	// misspellings
	"myslef": "myself", "mysef": "myself", "mself": "myself", "myselfe": "myself", "mysel": "myself", "kil": "kill",
	"killin": "killing", "dieing": "dying", "diee": "die", "dei": "die", "dyin": "dying", "wnat": "want", "wnt": "want", "wantt": "want",
	"goodby": "goodbye", "gbye": "goodbye", "hopless": "hopeless", "burdon": "burden", "burdan": "burden",
	"burdern": "burden", "pils": "pills", "pillz": "pills", "alife": "alive", "exsist": "exist", "exisit": "exist",
	"anyomre": "anymore", "becuase": "because", "beacuse": "because", "tho": "though", "lif": "life", "lyfe": "life",
	"brige": "bridge", "overdoes": "overdose", "overdos": "overdose",
	"pointles": "pointless", "meaningles": "meaningless", "wothless": "worthless", "worthles": "worthless",
}

// shortenRuns returns s with every run of three or more of the same
// letter cut to keep letters: "pleeease" with 1 is "please", "killll"
// with 2 is "kill". Shorter runs stay as they are.
func shortenRuns(s string, keep int) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		n := j - i
		if n >= 3 && unicode.IsLetter(rs[i]) {
			n = keep
		}
		for range n {
			b.WriteRune(rs[i])
		}
		i = j
	}
	return b.String()
}
