package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// HTTP configures the operator's endpoint (/healthz, /readyz, /metrics).
// It is off unless the file has an http: section.
type HTTP struct {
	// Listen is host:port; a loopback address unless AllowRemote.
	Listen string
	// AllowRemote lets Listen be an address other machines can reach.
	AllowRemote bool
}

// Calendar configures the calendar feed's own listener. It is off unless
// the file has a calendar: section.
type Calendar struct {
	// Listen is host:port for calendar services' requests.
	Listen string
	// BaseURL is the public URL that reaches Listen (through a reverse
	// proxy, say): feed links are BaseURL + "/calendar/<token>.ics".
	BaseURL string
}

var (
	httpKeys     = []string{"listen", "allow_remote"}
	calendarKeys = []string{"listen", "base_url"}
)

// DefaultHTTPListen is the example address of the operator's endpoint.
const DefaultHTTPListen = "127.0.0.1:9090"

// isLoopback reports whether host (of host:port) can only be reached from
// this machine: a loopback IP or "localhost". An empty host listens on
// every interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// hostPort checks a listen address: host:port with a port from 1 to 65535
// (or 0 for any free port, which tests use).
func (d *decoder) hostPort(e entry, field, example string) (host string, addr string, ok bool) {
	s, ok := d.str(e, field)
	if !ok {
		return "", "", false
	}
	h, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		d.fail(e.val, field, fmt.Sprintf("%q is not host:port", s), "write an address such as "+example)
		return "", "", false
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		d.fail(e.val, field, fmt.Sprintf("%q has no valid port", s), "write an address such as "+example)
		return "", "", false
	}
	return h, s, true
}

func (d *decoder) decodeHTTP(e entry) *HTTP {
	const path = "http"
	m := d.mapping(e.val, path, httpKeys)
	hc := &HTTP{}
	if b, ok := d.boolean(m["allow_remote"], path+".allow_remote"); ok {
		hc.AllowRemote = b
	}
	le := m["listen"]
	if !le.set() {
		at := e.key
		if le.key != nil {
			at = le.key
		}
		d.fail(at, path+".listen", "the operator's endpoint needs an address", "add listen: "+DefaultHTTPListen+" (loopback: only this machine can reach it), or remove the http: section to turn it off")
		return hc
	}
	host, addr, ok := d.hostPort(le, path+".listen", DefaultHTTPListen)
	if !ok {
		return hc
	}
	if !isLoopback(host) && !hc.AllowRemote {
		where := "every interface"
		if host != "" {
			where = host
		}
		d.fail(le.val, path+".listen", fmt.Sprintf("%s listens on %s, which other machines can reach; /metrics and /readyz tell anyone who can reach them how busy tend is", addr, where),
			"listen on loopback, such as "+DefaultHTTPListen+", and let Prometheus scrape it there (or through an SSH tunnel or a reverse proxy with access control); "+
				"if other machines must reach it directly, add allow_remote: true under http: and limit who can connect with a firewall")
		return hc
	}
	hc.Listen = addr
	return hc
}

// decodeCalendar returns the calendar settings and the node of its listen
// address, for checkListeners.
func (d *decoder) decodeCalendar(e entry) (*Calendar, *yaml.Node) {
	const path = "calendar"
	m := d.mapping(e.val, path, calendarKeys)
	cc := &Calendar{}
	for _, k := range []string{"listen", "base_url"} {
		if !m[k].set() {
			at := e.key
			if m[k].key != nil {
				at = m[k].key
			}
			fix := "add listen: 127.0.0.1:8081 (the address calendar services' requests reach, usually through a reverse proxy), or remove the calendar: section to turn feeds off"
			if k == "base_url" {
				fix = `add base_url: "https://tend.example.org", the public URL that reaches calendar.listen; feed links are that URL + /calendar/<token>.ics`
			}
			d.fail(at, path+"."+k, "the calendar feed needs "+k, fix)
		}
	}
	if _, addr, ok := d.hostPort(m["listen"], path+".listen", "127.0.0.1:8081 or :8081"); ok {
		cc.Listen = addr
	}
	if s, ok := d.str(m["base_url"], path+".base_url"); ok && s != "" {
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			d.fail(m["base_url"].val, path+".base_url", fmt.Sprintf("%q is not an http or https URL", s), `write the public URL that reaches calendar.listen, such as "https://tend.example.org"`)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			d.fail(m["base_url"].val, path+".base_url", fmt.Sprintf("%q has a query, a fragment or a user name", s), `write the URL alone, such as "https://tend.example.org" or "https://example.org/tend"`)
		default:
			if u.Scheme == "http" && !isLoopback(u.Hostname()) {
				d.warn(m["base_url"].val, path+".base_url", "feed links over plain http carry their secret token unencrypted",
					"serve the feed through a reverse proxy with TLS and write its https:// URL here")
			}
			cc.BaseURL = strings.TrimRight(s, "/")
		}
	}
	return cc, m["listen"].val
}

// checkListeners refuses two listeners on one address: the operator's
// endpoint, the calendar feed and Slack's http mode each need their own.
func (d *decoder) checkListeners(cfg *Config, listen *yaml.Node) {
	if cfg.Calendar == nil || cfg.Calendar.Listen == "" {
		return
	}
	same := ""
	switch {
	case cfg.HTTP != nil && cfg.HTTP.Listen == cfg.Calendar.Listen:
		same = "http.listen"
	case cfg.Slack != nil && cfg.Slack.Mode == SlackHTTP && cfg.Slack.Listen == cfg.Calendar.Listen:
		same = "slack.listen"
	}
	if same != "" {
		d.fail(listen, "calendar.listen", fmt.Sprintf("%s is also %s", cfg.Calendar.Listen, same),
			"give the calendar feed an address of its own: it faces calendar services outside, while "+same+" has other callers")
	}
}
