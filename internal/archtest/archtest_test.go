package archtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const module = "github.com/tend-bot/tend"

// pkg is the part of `go list -json` the rules read.
type pkg struct {
	ImportPath   string
	Name         string
	Dir          string
	GoFiles      []string
	CgoFiles     []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Standard     bool
}

// rel is the path inside the module: "bot", "adapters/discord".
func (p pkg) rel() string { return strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/") }

// listPackages runs `go list -e -deps -json ./...` at the module root and
// returns our packages (with their transitive Deps) and whether each import
// path is in the standard library. -e keeps the rules checkable while some
// package is mid-edit and does not compile.
func listPackages(t *testing.T) ([]pkg, map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	root := exec.CommandContext(ctx, "go", "env", "GOMOD")
	out, err := root.Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := filepath.Dir(strings.TrimSpace(string(out)))
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-deps", "-json", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var ours []pkg
	std := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		std[p.ImportPath] = p.Standard
		if p.ImportPath == module || strings.HasPrefix(p.ImportPath, module+"/") {
			ours = append(ours, p)
		}
	}
	if len(ours) < 3 {
		t.Fatalf("go list found only %d packages of ours", len(ours))
	}
	return ours, std
}

// isStd reports whether path is a standard library package. Packages that
// go list did not reach (only test imports) are judged by their first
// element having no dot.
func isStd(std map[string]bool, path string) bool {
	if s, ok := std[path]; ok {
		return s
	}
	return !strings.Contains(strings.Split(path, "/")[0], ".")
}

func ourRel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	if strings.HasPrefix(path, module+"/") {
		return strings.TrimPrefix(path, module+"/"), true
	}
	return "", false
}

// isTestHelper reports whether a package of ours exists only for tests:
// named *test (bottest, storetest, discordtest) or fake* (fakeslack).
func isTestHelper(rel string) bool {
	last := rel[strings.LastIndex(rel, "/")+1:]
	return strings.HasSuffix(last, "test") || strings.HasPrefix(last, "fake")
}

func hasPrefixAny(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// allowed says, for one package, which non-standard imports it may have:
// ours lists our packages, third lists module path prefixes.
type allowed struct {
	ours  []string
	third []string
}

var features = []string{"reminders", "norms", "checkins", "attendance", "groups", "calendar"}

// rule returns the import rule for a package, or false when it has none
// (cmd/tend may import everything; test helpers are checked separately).
func rule(rel string) (allowed, bool) {
	switch {
	case rel == "bot":
		return allowed{}, true
	case rel == "schedule":
		// The leaf that computes series and occurrences: cron is its
		// parser, bot its vocabulary.
		return allowed{ours: []string{"bot"}, third: []string{"github.com/robfig/cron/v3"}}, true
	case rel == "calendar":
		// A feature like the others, which also writes iCalendar.
		return allowed{ours: []string{"bot", "schedule"}, third: []string{"github.com/arran4/golang-ical"}}, true
	case rel == "attendance":
		// A feature like the others, whose report is also a text table
		// aligned by display width.
		return allowed{ours: []string{"bot", "schedule"}, third: []string{"golang.org/x/text/width"}}, true
	case hasPrefixAny(rel, features...):
		return allowed{ours: []string{"bot", "schedule"}}, true
	case rel == "ops":
		// The operator's endpoint: it reads the store's counts and speaks
		// Prometheus; nothing else imports Prometheus.
		return allowed{ours: []string{"bot", "store"}, third: []string{"github.com/prometheus/client_golang"}}, true
	case rel == "store":
		return allowed{ours: []string{"bot"}, third: []string{"modernc.org/sqlite"}}, true
	case rel == "config":
		return allowed{ours: []string{"bot"}, third: []string{"go.yaml.in/yaml/v3"}}, true
	case rel == "adapters/console":
		return allowed{ours: []string{"bot"}}, true
	case rel == "adapters/discord":
		// discordgo and the websocket library it speaks through; x/time/rate
		// paces requests ahead of Discord's limits.
		return allowed{ours: []string{"bot"}, third: []string{"github.com/bwmarrin/discordgo", "github.com/gorilla/websocket", "golang.org/x/time/rate"}}, true
	case rel == "adapters/slack":
		return allowed{ours: []string{"bot"}, third: []string{"github.com/slack-go/slack", "golang.org/x/time/rate"}}, true
	}
	return allowed{}, false
}

// check returns the imports of p that its rule does not allow.
func check(p pkg, std map[string]bool) ([]string, bool) {
	a, ok := rule(p.rel())
	if !ok {
		return nil, false
	}
	var bad []string
	for _, imp := range p.Imports {
		if isStd(std, imp) {
			continue
		}
		if rel, ours := ourRel(imp); ours {
			// A package may use its own sub-packages (checkins/safety),
			// which its own rule also holds to.
			own := strings.HasPrefix(rel, p.rel()+"/")
			if (!own && !hasPrefixAny(rel, a.ours...)) || rel == "bot/bottest" {
				bad = append(bad, imp)
			}
			continue
		}
		if !hasPrefixAny(imp, a.third...) {
			bad = append(bad, imp)
		}
	}
	return bad, true
}

func TestImportRules(t *testing.T) {
	ours, std := listPackages(t)
	checked := 0
	for _, p := range ours {
		bad, ok := check(p, std)
		if !ok {
			continue
		}
		checked++
		for _, imp := range bad {
			t.Errorf("%s imports %s, which docs/ARCHITECTURE.md does not allow (see its table of packages)", p.rel(), imp)
		}
	}
	if checked == 0 {
		t.Fatal("no package was checked")
	}
}

// TestBotImportsOnlyStd holds that the core depends, even transitively, on
// the standard library alone.
func TestBotImportsOnlyStd(t *testing.T) {
	ours, std := listPackages(t)
	for _, p := range ours {
		if p.rel() != "bot" {
			continue
		}
		for _, d := range p.Deps {
			if !isStd(std, d) {
				t.Errorf("bot depends on %s; bot may import only the standard library", d)
			}
		}
		return
	}
	t.Fatal("package bot not found")
}

// TestPlatformSDKsOnlyInAdapters: nothing outside adapters/ imports
// discordgo or slack-go, in code or in tests.
func TestPlatformSDKsOnlyInAdapters(t *testing.T) {
	ours, _ := listPackages(t)
	for _, p := range ours {
		if hasPrefixAny(p.rel(), "adapters") {
			continue
		}
		for _, imp := range concat(p.Imports, p.TestImports, p.XTestImports) {
			if hasPrefixAny(imp, "github.com/bwmarrin/discordgo", "github.com/slack-go/slack") {
				t.Errorf("%s imports %s; only adapters/ may use the platform SDKs", p.rel(), imp)
			}
		}
	}
}

// TestHelpersOnlyInTests: packages that exist for tests (bottest,
// storetest, discordtest, fakeslack) are imported only from test files
// and other test helpers.
func TestHelpersOnlyInTests(t *testing.T) {
	ours, _ := listPackages(t)
	for _, p := range ours {
		if isTestHelper(p.rel()) {
			continue
		}
		for _, imp := range p.Imports {
			if rel, ok := ourRel(imp); ok && isTestHelper(rel) {
				t.Errorf("%s imports the test helper %s from non-test code", p.rel(), rel)
			}
		}
	}
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestNoPanicOutsideMain: library code returns errors; only cmd/ may end
// the process. Calls are found in the syntax tree, so comments and strings
// that mention them do not count.
func TestNoPanicOutsideMain(t *testing.T) {
	ours, _ := listPackages(t)
	fset := token.NewFileSet()
	files := 0
	for _, p := range ours {
		if hasPrefixAny(p.rel(), "cmd") {
			continue
		}
		for _, name := range concat(p.GoFiles, p.CgoFiles) {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Errorf("parse %s: %v", path, err)
				continue
			}
			files++
			for _, c := range forbiddenCalls(f) {
				t.Errorf("%s: %s outside main; return an error instead", fset.Position(c.Pos()), callName(c))
			}
		}
	}
	if files == 0 {
		t.Fatal("no file was checked")
	}
}

// forbiddenCalls finds panic(…) and log.Fatal*(…) / log.Panic*(…) calls.
// A local package named log other than the standard one is not special-cased:
// tend has none.
func forbiddenCalls(f *ast.File) []*ast.CallExpr {
	logName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"log"` {
			logName = "log"
			if imp.Name != nil {
				logName = imp.Name.Name
			}
		}
	}
	var out []*ast.CallExpr
	ast.Inspect(f, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		switch fn := c.Fun.(type) {
		case *ast.Ident:
			if fn.Name == "panic" {
				out = append(out, c)
			}
		case *ast.SelectorExpr:
			if x, ok := fn.X.(*ast.Ident); ok && logName != "" && x.Name == logName &&
				(strings.HasPrefix(fn.Sel.Name, "Fatal") || strings.HasPrefix(fn.Sel.Name, "Panic")) {
				out = append(out, c)
			}
		}
		return true
	})
	return out
}

func callName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name + "(…)"
	case *ast.SelectorExpr:
		return fmt.Sprintf("%s.%s(…)", fn.X, fn.Sel.Name)
	}
	return "call"
}

// TestRulesCatchViolations makes sure the checks above can fail: each
// forbidden shape is fed to them directly.
func TestRulesCatchViolations(t *testing.T) {
	std := map[string]bool{"fmt": true, "database/sql": true}
	cases := []struct {
		p    pkg
		want string
	}{
		{pkg{ImportPath: module + "/bot", Imports: []string{"fmt", module + "/store"}}, module + "/store"},
		{pkg{ImportPath: module + "/bot", Imports: []string{"go.yaml.in/yaml/v3"}}, "go.yaml.in/yaml/v3"},
		{pkg{ImportPath: module + "/reminders", Imports: []string{module + "/store"}}, module + "/store"},
		{pkg{ImportPath: module + "/norms", Imports: []string{module + "/reminders"}}, module + "/reminders"},
		{pkg{ImportPath: module + "/norms", Imports: []string{"github.com/robfig/cron/v3"}}, "github.com/robfig/cron/v3"},
		{pkg{ImportPath: module + "/reminders", Imports: []string{"github.com/robfig/cron/v3"}}, "github.com/robfig/cron/v3"},
		{pkg{ImportPath: module + "/schedule", Imports: []string{module + "/bot", module + "/store"}}, module + "/store"},
		{pkg{ImportPath: module + "/schedule", Imports: []string{module + "/reminders"}}, module + "/reminders"},
		{pkg{ImportPath: module + "/store", Imports: []string{module + "/config"}}, module + "/config"},
		{pkg{ImportPath: module + "/config", Imports: []string{module + "/store"}}, module + "/store"},
		{pkg{ImportPath: module + "/adapters/console", Imports: []string{"github.com/bwmarrin/discordgo"}}, "github.com/bwmarrin/discordgo"},
		{pkg{ImportPath: module + "/adapters/slack", Imports: []string{module + "/bot/bottest"}}, module + "/bot/bottest"},
		{pkg{ImportPath: module + "/adapters/discord", Imports: []string{module + "/store"}}, module + "/store"},
		{pkg{ImportPath: module + "/norms", Imports: []string{module + "/checkins/safety"}}, module + "/checkins/safety"},
		{pkg{ImportPath: module + "/checkins/safety", Imports: []string{module + "/checkins"}}, module + "/checkins"},
	}
	for _, tc := range cases {
		bad, ok := check(tc.p, std)
		if !ok || len(bad) != 1 || bad[0] != tc.want {
			t.Errorf("%s importing %v: flagged %v, want %s", tc.p.rel(), tc.p.Imports, bad, tc.want)
		}
	}
	for _, p := range []pkg{
		{ImportPath: module + "/store", Imports: []string{"database/sql", module + "/bot", "modernc.org/sqlite/lib"}},
		{ImportPath: module + "/schedule", Imports: []string{module + "/bot", "github.com/robfig/cron/v3"}},
		{ImportPath: module + "/checkins", Imports: []string{module + "/bot", module + "/schedule"}},
		// A feature's own sub-package.
		{ImportPath: module + "/checkins", Imports: []string{module + "/bot", module + "/checkins/safety"}},
	} {
		if bad, _ := check(p, std); len(bad) != 0 {
			t.Errorf("an allowed import of %s was flagged: %v", p.rel(), bad)
		}
	}
	src := "package x\nimport l \"log\"\nfunc f() { panic(1); l.Fatalf(\"x\") }\n// panic(2) in a comment\nvar s = \"log.Fatal(\"\n"
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := forbiddenCalls(f); len(got) != 2 {
		t.Errorf("found %d forbidden calls, want 2", len(got))
	}
	if !isTestHelper("bot/bottest") || !isTestHelper("adapters/slack/fakeslack") || isTestHelper("store") {
		t.Error("isTestHelper misjudges")
	}
}
