// Package archtest holds tend's architecture rules as a test: which
// packages may import which (ARCHITECTURE.md and STYLE.md), and that no
// library code panics or calls log.Fatal. It has no non-test code.
package archtest
