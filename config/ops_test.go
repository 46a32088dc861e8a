package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tend-bot/tend/config"
)

func TestParse_HTTPAndCalendar(t *testing.T) {
	cfg, errs := parse(t, "http: {listen: 127.0.0.1:9090}\ncalendar:\n  listen: 127.0.0.1:8081\n  base_url: https://tend.example.org/\n", config.Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	if cfg.HTTP == nil || cfg.HTTP.Listen != "127.0.0.1:9090" || cfg.HTTP.AllowRemote {
		t.Errorf("http = %+v", cfg.HTTP)
	}
	if cfg.Calendar == nil || cfg.Calendar.Listen != "127.0.0.1:8081" || cfg.Calendar.BaseURL != "https://tend.example.org" {
		t.Errorf("calendar = %+v", cfg.Calendar)
	}
	// Off unless configured.
	cfg, errs = parse(t, "", config.Options{})
	if errs != nil || cfg.HTTP != nil || cfg.Calendar != nil {
		t.Errorf("defaults: http %+v, calendar %+v, errors %v", cfg.HTTP, cfg.Calendar, errs)
	}
	// Loopback in its several spellings, and beyond it when asked for.
	for _, src := range []string{
		"http: {listen: localhost:9090}",
		"http: {listen: \"[::1]:9090\"}",
		"http: {listen: 127.0.0.2:9090}",
		"http: {listen: \":9090\", allow_remote: true}",
		"http: {listen: 10.0.0.5:9090, allow_remote: true}",
	} {
		if _, errs := parse(t, src+"\n", config.Options{}); errs != nil {
			t.Errorf("%s: %v", src, errs)
		}
	}
	// A plain-http base URL to another machine is accepted with a warning.
	cfg, errs = parse(t, "calendar: {listen: \":8081\", base_url: \"http://tend.example.org\"}\n", config.Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Error(), "tend.yaml:1:39: calendar.base_url: feed links over plain http carry their secret token unencrypted") {
		t.Errorf("warnings = %v", cfg.Warnings)
	}
}

func TestParse_HTTPAndCalendarErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // "line:col field | problem part | fix part"
	}{
		{"EveryInterface", "http: {listen: \":9090\"}\n",
			`1:16 http.listen | :9090 listens on every interface, which other machines can reach | add allow_remote: true`},
		{"OtherMachines", "http:\n  listen: 0.0.0.0:9090\n",
			`2:11 http.listen | listens on 0.0.0.0 | listen on loopback, such as 127.0.0.1:9090`},
		{"HostName", "http:\n  listen: metrics.example.org:9090\n",
			`2:11 http.listen | listens on metrics.example.org | allow_remote: true`},
		{"NoPort", "http: {listen: 127.0.0.1}\n",
			`1:16 http.listen | "127.0.0.1" is not host:port | such as 127.0.0.1:9090`},
		{"BadPort", "http: {listen: \"127.0.0.1:http-ish\"}\n",
			`1:16 http.listen | has no valid port | such as 127.0.0.1:9090`},
		{"NoListen", "http: {}\n",
			`1:1 http.listen | needs an address | add listen: 127.0.0.1:9090`},
		{"EmptyHTTP", "http:\n",
			`1:1 http.listen | needs an address | remove the http: section to turn it off`},
		{"AllowRemoteNotBool", "http: {listen: 127.0.0.1:9090, allow_remote: maybe}\n",
			`1:46 http.allow_remote | "maybe"`},
		{"UnknownHTTPKey", "http: {listen: 127.0.0.1:9090, lisen: x}\n",
			`1:32 http.lisen | unknown key | did you mean "listen"?`},
		{"CalendarNoBaseURL", "calendar:\n  listen: 127.0.0.1:8081\n",
			`1:1 calendar.base_url | needs base_url | the public URL that reaches calendar.listen`},
		{"CalendarBadBaseURL", "calendar: {listen: 127.0.0.1:8081, base_url: tend.example.org}\n",
			`1:46 calendar.base_url | is not an http or https URL | such as "https://tend.example.org"`},
		{"CalendarQuery", "calendar: {listen: 127.0.0.1:8081, base_url: \"https://x.org/?a=b\"}\n",
			`1:46 calendar.base_url | has a query | write the URL alone`},
		{"SameAddress", "http: {listen: 127.0.0.1:9090}\ncalendar: {listen: 127.0.0.1:9090, base_url: https://x.org}\n",
			`2:20 calendar.listen | 127.0.0.1:9090 is also http.listen | an address of its own`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := parse(t, tt.src, config.Options{})
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			parts := strings.Split(tt.want, " | ")
			var line, col int
			var field string
			fmt.Sscanf(parts[0], "%d:%d %s", &line, &col, &field)
			if e.Line != line || e.Column != col || e.Field != field {
				t.Errorf("at %d:%d %s, want %s: %v", e.Line, e.Column, e.Field, parts[0], e)
			}
			if len(parts) > 1 && !strings.Contains(e.Problem, parts[1]) {
				t.Errorf("problem %q does not say %q", e.Problem, parts[1])
			}
			if len(parts) > 2 && !strings.Contains(e.Fix, parts[2]) {
				t.Errorf("fix %q does not say %q", e.Fix, parts[2])
			}
		})
	}
}
