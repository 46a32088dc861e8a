package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real tend binary, built once per test run for every test that starts
// it (the console, Discord and Slack end-to-end tests).
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
	// The same binary built with -tags tendtestclock, whose clock can run
	// faster than real time (TEND_TEST_CLOCK), for tests that live through
	// whole sessions.
	fastOnce sync.Once
	fastPath string
	fastErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildTend returns the path of the real tend binary, building it on first
// use.
func buildTend(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "tend-bin-")
		if binErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		binPath = filepath.Join(binDir, "tend")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// buildFastTend returns the path of tend built with -tags tendtestclock,
// building it on first use.
func buildFastTend(t *testing.T) string {
	t.Helper()
	buildTend(t) // makes binDir
	fastOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		fastPath = filepath.Join(binDir, "tend-fastclock")
		if out, err := exec.CommandContext(ctx, "go", "build", "-tags", "tendtestclock", "-o", fastPath, ".").CombinedOutput(); err != nil {
			fastErr = fmt.Errorf("go build -tags tendtestclock: %v\n%s", err, out)
		}
	})
	if fastErr != nil {
		t.Fatal(fastErr)
	}
	return fastPath
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tendProcess is the real tend binary running against the fake Discord.
type tendProcess struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan error
	killed bool
}

// kill stops the process at once with SIGKILL, as a crash or power cut
// would: no shutdown code runs.
func (p *tendProcess) kill(t testing.TB) {
	t.Helper()
	p.killed = true
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("tend did not die within 30 s of SIGKILL")
	}
}

// alive fails the test if the process has exited.
func (p *tendProcess) alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("tend exited: %v\n%s", err, p.stderr.String())
	default:
	}
}

// runTend writes config to dir and runs `tend run` there with env added to
// a minimal environment. Cleanup stops it with SIGINT (unless it was killed)
// and fails the test if it had already exited, did not exit 0, or printed
// any of secrets.
func runTend(t testing.TB, bin, dir, config string, env, secrets []string) *tendProcess {
	t.Helper()
	cfgPath := filepath.Join(dir, "tend.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	p := &tendProcess{cmd: exec.CommandContext(ctx, bin, "run", "--config", cfgPath), stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Env = append([]string{"HOME=" + dir, "TZ=UTC"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		defer cancel()
		if p.killed {
			return
		}
		select {
		case err := <-p.exited:
			t.Errorf("tend exited before the test ended: %v\n%s", err, p.stderr.String())
			return
		default:
		}
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-p.exited:
			if err != nil {
				t.Errorf("tend exited with %v after SIGINT; want 0", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("tend did not stop within 30 s of SIGINT")
		}
		out := p.stderr.String()
		for _, secret := range secrets {
			if secret != "" && strings.Contains(out, secret) {
				t.Errorf("tend logged a secret")
			}
		}
		if t.Failed() {
			t.Logf("tend output:\n%s", out)
		}
	})
	return p
}
