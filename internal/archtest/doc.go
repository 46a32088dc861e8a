// Package archtest holds tend's architecture rules as a test: which
// packages may import which (docs/ARCHITECTURE.md), and that no
// library code crashes the process (a panic call, or the log package's Fatal
// functions). It has no non-test code.
package archtest
