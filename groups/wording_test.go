package groups_test

import "testing"

// TestRoster_OnePlace: counts read right in the singular ("1 places",
// "1 roster entries have" were shown).
func TestRoster_OnePlace(t *testing.T) {
	e := newEnv(t)
	e.run(owner, "c1", "group setup name:tuesday admission:closed capacity:1")
	e.steps([]step{
		{as: owner, channel: "c1", cmd: `roster add user:sam name:"Sam Lee"`, want: []string{"Added Sam Lee"}},
		{as: owner, channel: "c1", cmd: "roster add user:kim", want: []string{"Group tuesday is full (1 place), so @kim is on the waitlist"}, not: []string{"1 places"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday privacy:minimal", want: []string{"Minimal privacy keeps no names, but 2 roster entries have a name or no code"}},
		{as: owner, channel: "c1", cmd: "roster remove user:kim", want: []string{"Removed @kim"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday privacy:minimal", want: []string{"Minimal privacy keeps no names, but 1 roster entry has a name or no code"}},
	})
}
