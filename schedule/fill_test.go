package schedule

import (
	"math/rand/v2"
	"testing"
)

// TestFillCached: a table read from the cache is the one count computes,
// for many day fields, each asked twice (computed, then cached).
func TestFillCached(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		m := matcher{dom: r.Uint64() & 0xFFFFFFFE, dow: r.Uint64() & 0x7F, domStar: i%3 == 0, dowStar: i%5 == 0}
		var want matcher
		want.dom, want.dow, want.domStar, want.dowStar = m.dom, m.dow, m.domStar, m.dowStar
		want.count()
		for range 2 {
			got := m
			got.monthLen = [4][7]int8{}
			got.fill()
			if got.monthLen != want.monthLen {
				t.Fatalf("day fields %+v: fill %v, count %v", m, got.monthLen, want.monthLen)
			}
		}
	}
}
