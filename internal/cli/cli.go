// Package cli holds the conventions every handler command follows: -h or --help prints the
// command's usage to stdout and succeeds; an unknown flag, a bad flag value or an extra argument
// is a usage error (the usage on stderr, exit status 2); any other failure is exit status 1.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// ErrHelp means the usage was asked for and has been printed: the command succeeded. It is
// flag.ErrHelp, so a command still returning that error exits 0 too.
var ErrHelp = flag.ErrHelp

// UsageError is a command line the command does not accept. Its usage has been printed to stderr.
type UsageError struct {
	Command string
	Err     error
}

func (e *UsageError) Error() string { return e.Command + ": " + e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// NewFlagSet returns a flag set named after the command ("keys add") whose usage is text
// followed, when the command has flags, by each flag and its default.
func NewFlagSet(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprint(out, text)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(out, "\nflags:")
			printFlags(fs)
		}
	}
	return fs
}

// printFlags is flag.PrintDefaults spelling flags --name, as the usage lines do (the flag
// package accepts one dash or two).
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			text += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(fs.Output(), "%s\n    \t%s\n", line, text)
	})
}

// Parse parses a command's arguments, which must all be flags. For -h or --help it prints the
// usage to stdout and returns ErrHelp; for anything it does not accept it prints the usage to
// stderr and returns a *UsageError.
func Parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	// The flag package would print its own message and the usage; the caller reports the error
	// once, after the usage, so the last line is the reason.
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return ErrHelp
	case err != nil:
		return Usage(fs, stderr, err)
	case fs.NArg() > 0:
		return Usage(fs, stderr, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	fs.SetOutput(stderr)
	return nil
}

// Usage prints the command's usage to stderr and returns err as a *UsageError: for checks after
// Parse, such as a required flag that is missing.
func Usage(fs *flag.FlagSet, stderr io.Writer, err error) error {
	fs.SetOutput(stderr)
	fs.Usage()
	return &UsageError{Command: fs.Name(), Err: err}
}

// ExitCode is the process exit status for a command's result: 0 for success or help, 2 for a
// usage error, 1 for any other failure.
func ExitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil, errors.Is(err, ErrHelp):
		return 0
	case errors.As(err, &usage):
		return 2
	default:
		return 1
	}
}

// Subcommand reads a command group's command line ("keys add --lead 72h"): the name of the
// subcommand and its arguments. "-h", "--help" and "help" print the group's usage (fs's) to
// stdout and return ErrHelp; "help NAME ARGS" returns NAME with ARGS and -h, so the subcommand
// prints its own usage. No subcommand, or a flag before it, is a *UsageError. Whether the name
// is known is the caller's to check (report an unknown one with Usage).
func Subcommand(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (name string, rest []string, err error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return "", nil, ErrHelp
		}
		return "", nil, Usage(fs, stderr, err)
	}
	args = fs.Args()
	switch {
	case len(args) == 0:
		return "", nil, Usage(fs, stderr, errors.New("a command is required"))
	case args[0] == "help" && (len(args) == 1 || isHelpFlag(args[1])):
		fs.SetOutput(stdout)
		fs.Usage()
		return "", nil, ErrHelp
	case args[0] == "help":
		return args[1], append(append([]string{}, args[2:]...), "-h"), nil
	}
	return args[0], args[1:], nil
}

// isHelpFlag reports -h and --help (and -help, --h), which "help -h" means as well.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}
