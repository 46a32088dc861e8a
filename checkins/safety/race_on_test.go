//go:build race

package safety

// raceOn: the race detector slows the lexicon's single-threaded tests
// tenfold and has nothing to find in them; they sample more thinly.
const raceOn = true
