// Command tend runs the tend bot: `tend run` (the default) serves the
// configured platforms, `tend check` validates a config and summarises what
// it sets up, and `tend version` prints the version. It holds flags, wiring,
// signals and exit codes; the logic lives in the packages it wires together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/schedule"
)

// defaultPreviewCount is how many sessions of each group tend check
// previews when --from is given without --count.
const defaultPreviewCount = 5

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // something failed while running
	exitUsage   = 2 // bad flags or a bad config
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal asks for a clean stop; once it has, the signal
		// handlers are reset so that a second one ends the process at
		// once, whatever tend is doing.
		<-ctx.Done()
		stop()
	}()
	code := runMain(ctx, NewMain(), os.Args[1:])
	stop()
	os.Exit(code)
}

// runMain runs one command line through m and returns the exit status. It
// prints every error to m.Stderr once.
func runMain(ctx context.Context, m *Main, args []string) int {
	err := m.ParseFlags(ctx, args)
	if err == nil {
		err = m.Run(ctx)
	}
	if cerr := m.Close(); cerr != nil && err == nil {
		err = cerr
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// A stop asked for before tend was serving (during start-up) is
		// a clean stop, as one while serving is.
		fmt.Fprintln(m.Stderr, "tend: stopped before start-up finished")
		return exitOK
	}
	fmt.Fprintln(m.Stderr, errorText(err))
	if isConfigError(err) {
		return exitUsage
	}
	return exitFailure
}

// isConfigError reports whether err is fixed only by a change to the
// command line or the config file, so that tend exits 2 (a supervisor
// does not restart it): a usage mistake, a config error found on reading
// it, or one a platform found on connecting (a Discord api_url that is not
// Discord's API).
func isConfigError(err error) bool {
	var ue *usageError
	var ce config.Errors
	return errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, discord.ErrConfig)
}

// errorText prints config errors one per line under a heading, and other
// errors as they are.
func errorText(err error) string {
	var ce config.Errors
	if errors.As(err, &ce) {
		noun := "problems"
		if len(ce) == 1 {
			noun = "problem"
		}
		return fmt.Sprintf("tend: the config has %d %s:\n%s", len(ce), noun, ce.Error())
	}
	return "tend: " + err.Error()
}

// usageError is a mistake on the command line; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...) + "\n" + usage}
}

const usage = `usage:
  tend [run] [--config FILE]                         run the bot (the console when no platform is configured)
  tend check [--config FILE] [--from DATE] [--count N]   validate the config and summarise it
  tend report --group G [--from DATE] [--to DATE] [--format table|csv] [--config FILE | --db FILE]
                                                     attendance of a group, read beside a running tend
  tend audit --group G [--config FILE | --db FILE]   the group's audit log: who did what, when
  tend backup [--config FILE | --db FILE] BACKUP-FILE  a consistent copy of the database, taken beside a running tend
  tend version                                       print the version
--config defaults to tend.yaml in the working directory when it exists, else built-in defaults.`

// Main is the program: what it reads and writes is injectable so that tests
// run it end to end in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// LookupEnv reads environment variables (secrets named by *_env).
	LookupEnv func(string) (string, bool)
	// Dir is the working directory: where tend.yaml is looked for and
	// relative storage paths start. Empty means the process's.
	Dir string
	// Clock and Location are the time source and the console's display zone.
	Clock    bot.Clock
	Location *time.Location
	// DrainTimeout bounds how long, after the console's input ends, tend
	// waits for the work due at that moment (default 30s).
	DrainTimeout time.Duration
	// ShutdownTimeout bounds the final flushes after a stop (default 10s).
	ShutdownTimeout time.Duration

	// Set by ParseFlags.
	Command    string // "run", "check" or "version"
	ConfigPath string // empty: built-in defaults
	Config     *config.Config
	// From is when check's preview starts: now, or with --from DATE the
	// start of FromDate in each group's own zone (FromDate is then set).
	From     time.Time
	FromDate string // check --from, YYYY-MM-DD
	Count    int    // check --count; 0: no preview
	// Report holds report's and audit's flags.
	Report reportFlags
	// auditExport writes a report's export line beside a running tend;
	// nil is store.AuditBeside. Tests replace it to inject a failure (a
	// read-only database when they run as root, who may write anything).
	auditExport func(ctx context.Context, path string, e bot.AuditEntry) error
	// BackupFile is where backup writes the copy; BackupDB, when set, is
	// the database to copy (--db), and no config is read.
	BackupFile string
	BackupDB   string

	closers []func() error
}

// NewMain returns a Main over the process's standard streams and
// environment.
func NewMain() *Main {
	return &Main{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
	}
}

// now reads the clock: m.Clock when set, else the system's.
func (m *Main) now() time.Time {
	if m.Clock != nil {
		return m.Clock.Now()
	}
	return time.Now()
}

// path resolves p against m.Dir.
func (m *Main) path(p string) string {
	if m.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.Dir, p)
}

// ParseFlags reads the subcommand and its flags and loads the config. It
// returns ctx's error when ctx is done by the time the config is read.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	m.Command = "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		m.Command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("tend "+m.Command, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() { fmt.Fprintln(m.Stderr, usage) }
	var configPath, from string
	var count int
	switch m.Command {
	case "run":
		fs.StringVar(&configPath, "config", "", "the YAML config file (default tend.yaml when present)")
	case "check":
		fs.StringVar(&configPath, "config", "", "the YAML config file (default tend.yaml when present)")
		fs.StringVar(&from, "from", "", "preview sessions and reminders from this date (YYYY-MM-DD; default today)")
		fs.IntVar(&count, "count", defaultPreviewCount, "preview the next N sessions of each group")
	case "report", "audit":
		fs.StringVar(&configPath, "config", "", "the YAML config file whose storage.path names the database (default tend.yaml when present)")
		m.Report.flags(fs, m.Command)
	case "backup":
		fs.StringVar(&configPath, "config", "", "the YAML config file naming the database (default tend.yaml when present)")
		fs.StringVar(&m.BackupDB, "db", "", "the database to copy, instead of the config's storage.path (no config is read: its secrets need not be set)")
	case "version":
	case "help":
		fmt.Fprintln(m.Stdout, usage)
		return flag.ErrHelp
	default:
		return usagef("unknown command %q: use run, check, report, audit, backup or version", m.Command)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()} // the flag package printed the usage
	}
	if m.Command == "backup" {
		// The file may come before or after the flags.
		if fs.NArg() == 0 {
			return usagef("backup: name the file to write, such as tend backup /var/backups/tend-%s.db", m.now().Format("2006-01-02"))
		}
		m.BackupFile = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return &usageError{msg: err.Error()}
		}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected %q", m.Command, fs.Arg(0))
	}
	if m.Command == "version" {
		return nil
	}
	if m.Command == "report" || m.Command == "audit" {
		if err := m.Report.check(m.Command); err != nil {
			return err
		}
		if m.Report.db != "" {
			m.Config = config.Default()
			return nil
		}
		return m.loadConfig(configPath)
	}
	if m.Command == "backup" && m.BackupDB != "" {
		if configPath != "" {
			return usagef("backup: give --db or --config, not both")
		}
		m.Config = config.Default()
		return ctx.Err()
	}
	countSet := false
	fs.Visit(func(f *flag.Flag) { countSet = countSet || f.Name == "count" })
	if from != "" || countSet {
		if !countSet {
			count = defaultPreviewCount
		}
		if count < 1 || count > 1000 {
			return usagef("check: --count %d: give a number of sessions from 1 to 1000, such as --count 10", count)
		}
		m.Count = count
		m.From = m.now()
		if from != "" {
			// A date, not an instant: each group's preview starts at its
			// midnight in the group's zone.
			if _, err := time.Parse(time.DateOnly, from); err != nil {
				return usagef("check: --from %q is not a date: write YYYY-MM-DD, such as --from %s", from, bot.ExampleDate(m.now()))
			}
			m.FromDate = from
		}
	}
	if err := m.loadConfig(configPath); err != nil {
		return err
	}
	return ctx.Err()
}

// loadConfig reads --config, else tend.yaml when present, else defaults.
func (m *Main) loadConfig(flagPath string) error {
	opts := config.Options{
		LookupEnv: m.LookupEnv,
		// Secret files given relative are found from the working directory.
		ReadFile:      func(name string) ([]byte, error) { return os.ReadFile(m.path(name)) },
		StatFile:      func(name string) (fs.FileInfo, error) { return os.Stat(m.path(name)) },
		CheckSchedule: schedule.CheckSchedule,
		CheckLeads:    schedule.CheckLeads,
		Sections:      m.sections(),
		Now:           m.now,
	}
	if m.Command == "report" || m.Command == "audit" {
		// They read the database only: the platforms' secrets need not be
		// at hand (an operator's shell rarely has the bot's token).
		opts.LookupEnv = func(string) (string, bool) { return "unused", true }
		opts.ReadFile = func(string) ([]byte, error) { return []byte("unused"), nil }
		opts.StatFile = func(string) (fs.FileInfo, error) { return nil, fs.ErrNotExist }
	}
	path := flagPath
	if path == "" {
		if _, err := os.Stat(m.path("tend.yaml")); err == nil {
			path = "tend.yaml"
		}
	}
	if path == "" {
		m.Config = config.Default()
		return nil
	}
	opts.File = path
	cfg, err := config.Load(m.path(path), opts)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			return err
		}
		return &usageError{msg: fmt.Sprintf("cannot read the config file %s: %v; check --config, or leave it out to use tend.yaml or the built-in defaults", path, errors.Unwrap(err))}
	}
	m.ConfigPath = path
	m.Config = cfg
	return nil
}

// configLine returns the line of a group's entry in the config file, 0
// when the file declares no such group.
func (m *Main) configLine(group string) int {
	for _, g := range m.Config.Groups {
		if g.Name == group {
			return g.Line
		}
	}
	return 0
}

// Run runs the parsed command.
func (m *Main) Run(ctx context.Context) error {
	switch m.Command {
	case "version":
		fmt.Fprintln(m.Stdout, "tend", buildVersion())
		return nil
	case "check":
		return m.check(ctx)
	case "report":
		return m.report(ctx)
	case "audit":
		return m.audit(ctx)
	case "backup":
		return m.backup(ctx)
	}
	return m.run(ctx)
}

// Close releases what Run opened, in reverse order.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
		if rev != "" {
			v += " " + rev[:min(12, len(rev))]
			if b, _ := strconv.ParseBool(modified); b {
				v += "+modified"
			}
		}
	}
	return v + " " + info.GoVersion
}

// logger returns the process logger: stderr, text or json, at the
// configured level.
func (m *Main) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: m.Config.Log.Level}
	if m.Config.Log.Format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}
