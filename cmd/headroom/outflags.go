package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/internal/atomicfile"
)

// The output flags, the same in every command, as kubectl (-o/--output is
// the format: kubectl's get, "Output options" of kubectl/pkg/cmd/get) and
// krr and k6 users read them:
//
//	-o, --output FORMAT  what is printed on standard output
//	--out-dir DIR        a directory headroom writes (report, rightsize)
//	--out-file FILE      one file headroom writes (sweep, calibrate, discover,
//	                     observe, loadtest run, loadtest k6 script)
//
// The spellings these replaced (-o DIR, -o FILE, --out, --output-dir,
// --patches) are refused with the new one named: a path given to -o is
// never taken as a format, nor a format as a path.

// formatValue is -o/--output: one of a fixed list of formats.
type formatValue struct {
	p        *string
	formats  []string
	pathFlag string // the flag that takes a path instead of -o, "" if none
	pathWhat string // what pathFlag writes, e.g. "the report directory"
}

func (f *formatValue) String() string { return *f.p }
func (f *formatValue) Type() string   { return "format" }

func (f *formatValue) Set(s string) error {
	if slices.Contains(f.formats, s) {
		*f.p = s
		return nil
	}
	if len(f.formats) == 0 {
		return fmt.Errorf("this command has no output formats; write %s with %s %s", f.pathWhat, f.pathFlag, shellWord(s))
	}
	list := strings.Join(f.formats, "|")
	if f.pathFlag == "" {
		return fmt.Errorf("-o is the output format (%s), got %q", list, s)
	}
	return fmt.Errorf("-o is the output format (%s); write %s with %s %s", list, f.pathWhat, f.pathFlag, shellWord(s))
}

// bindFormat adds -o/--output with its formats (the first is the default
// unless *p is set) and registers them for shell completion. pathFlag and
// pathWhat name the flag a path belongs to, for the error when a path is
// given to -o.
func bindFormat(cmd *cobra.Command, p *string, formats []string, pathFlag, pathWhat string) {
	if *p == "" && len(formats) > 0 {
		*p = formats[0]
	}
	v := &formatValue{p: p, formats: formats, pathFlag: pathFlag, pathWhat: pathWhat}
	usage := "output format: " + strings.Join(formats, ", ")
	cmd.Flags().VarP(v, "output", "o", usage)
	if len(formats) == 0 {
		// Kept only to name the flag that replaced it.
		_ = cmd.Flags().MarkHidden("output")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// movedValue is a flag that was renamed: any value is refused with the new
// spelling named.
type movedValue struct{ old, now string }

func (m *movedValue) String() string { return "" }
func (m *movedValue) Type() string   { return "string" }
func (m *movedValue) Set(s string) error {
	return fmt.Errorf("%s is now %s: use %s %s", m.old, m.now, m.now, shellWord(s))
}

// bindMoved adds the hidden flag old (long name, no dashes) that refuses
// every value and names now.
func bindMoved(cmd *cobra.Command, old, now string) {
	cmd.Flags().Var(&movedValue{old: "--" + old, now: now}, old, "replaced by "+now)
	_ = cmd.Flags().MarkHidden(old)
}

// bindOutDir adds --out-dir (default def) and --force.
func bindOutDir(cmd *cobra.Command, p *string, force *bool, def, usage string) {
	cmd.Flags().StringVar(p, "out-dir", def, usage)
	cmd.Flags().BoolVar(force, "force", false, "write into a non-empty --out-dir that headroom did not write (its files are kept)")
	_ = cmd.MarkFlagDirname("out-dir")
}

// checkOutDir checks --out-dir before any work: the directories headroom
// must not replace are usage errors (exit 2); a file, a directory that
// cannot be written, or a non-empty one headroom did not write (without
// --force) are errors (exit 1). Nothing is written.
func checkOutDir(dir string, force bool) error {
	if err := atomicfile.CheckOutputDir(dir); err != nil {
		return usageErrorf("--out-dir: %v", err)
	}
	err := atomicfile.CheckTarget(dir, force)
	var foreign *atomicfile.ForeignDirError
	switch {
	case errors.As(err, &foreign):
		return fmt.Errorf("--out-dir %v: name a new or empty directory, or pass --force to write into it (its files are kept; headroom's are listed in %s)", err, atomicfile.ManifestName)
	case err != nil:
		return fmt.Errorf("--out-dir %v", err)
	}
	return nil
}

// shellWord quotes s for a shell when it needs it, so the suggested
// command line can be pasted.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return strconv.Quote(s)
}
