// Package fuzztest holds what tend's fuzz targets share. Test code only.
//
// Go's fuzzer minimises every input that finds new coverage before it
// fuzzes on, for up to -test.fuzzminimizetime (60s by default), and counts
// the calls it makes meanwhile only when it is done. Minimising a string is
// quadratic in its length, so a kilobyte of YAML or command text holds the
// fuzzer for the whole minute at "0 execs/sec", which reads as a hang in
// the code under test (golang/go#51484, #48820). Main bounds that time
// unless the command line sets it.
package fuzztest

import (
	"flag"
	"os"
	"testing"
)

// MinimizeTime is the minimisation bound Main sets when the command line
// sets none: long enough to shrink a short input, short enough that the
// fuzzer's progress lines keep moving.
const MinimizeTime = "3s"

// Main runs a package's tests, fuzz targets and benchmarks with the
// minimisation bound. Call it from the package's TestMain:
//
//	func TestMain(m *testing.M) { fuzztest.Main(m) }
func Main(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		if err := flag.Set("test.fuzzminimizetime", MinimizeTime); err != nil {
			// The flag is the testing package's; without it the default
			// applies and only the progress lines suffer.
			os.Stderr.WriteString("fuzztest: " + err.Error() + "\n")
		}
	}
	os.Exit(m.Run())
}
