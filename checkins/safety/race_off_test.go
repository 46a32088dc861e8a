//go:build !race

package safety

// raceOn: see race_on_test.go.
const raceOn = false
