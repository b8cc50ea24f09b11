package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ManifestName is the file WriteDir writes at the top of the directory: the
// paths it wrote, one a line, so that the next WriteDir removes those (when
// it no longer writes them) and keeps everything else.
const ManifestName = ".headroom-manifest"

// stagingPrefix starts the name of the directory a set is built in, beside
// its target; previousPrefix the name of the old directory moved aside
// where the two cannot be exchanged in one step.
const (
	stagingPrefix  = ".headroom-staging-"
	previousPrefix = ".headroom-previous-"
)

// maxManifestBytes bounds the manifest WriteDir reads back.
const maxManifestBytes = 16 << 20

// DirFile is one file of a set, relative to the set's directory.
type DirFile struct {
	// Path is slash-separated and local: no "..", no leading "/".
	Path string
	Data []byte
	Mode os.FileMode // 0 means 0o644
}

// beforeSwap, when not nil, runs after the staging directory is complete
// and before it is swapped in; tests use it to fail or cancel there.
var beforeSwap func() error

// WriteDir writes files as one set into dir: all of the new set, or (on any
// error, or when ctx is cancelled) nothing, the old directory untouched.
//
// The set is built in a staging directory beside dir (same parent, name
// starting ".headroom-staging-"), written through an os.Root so no path can
// leave it. Files of the old dir that the previous WriteDir did not write
// (its manifest, ManifestName, lists what it wrote) are kept: hard-linked
// (or copied) into the staging directory; one of them at a path of the new
// set is an error, never replaced. Then staging and dir are
// exchanged in one rename (renameat2 RENAME_EXCHANGE on Linux; two renames
// elsewhere) and the old directory removed. Staging directories a killed
// run left beside dir are removed first.
//
// dir must pass CheckOutputDir; if it exists it must be a directory (a
// symbolic link to one is followed).
func WriteDir(ctx context.Context, dir string, files []DirFile) error {
	for _, f := range files {
		if err := checkPath(f.Path); err != nil {
			return err
		}
	}
	set, err := BeginDir(ctx, dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	for _, f := range files {
		if err := set.Write(f.Path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return set.Commit()
}

// DirSet is a set of files being written into a directory as WriteDir
// writes them, one file at a time (so that a caller need not hold them all
// in memory): BeginDir, then Write or WriteFunc each file, then Commit; or
// Abort, which leaves the old directory untouched.
type DirSet struct {
	ctx     context.Context
	dir     string
	target  string
	staging string
	root    *os.Root
	exists  bool
	st      os.FileInfo
	paths   map[string]bool
	order   []DirFile // paths only, for the manifest
	done    bool
}

// BeginDir starts a set for dir: it checks dir (CheckOutputDir), removes
// the staging directories a killed run left beside it and makes a new
// one.
func BeginDir(ctx context.Context, dir string) (*DirSet, error) {
	if err := CheckOutputDir(dir); err != nil {
		return nil, err
	}
	target, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if t, err := filepath.EvalSymlinks(target); err == nil {
		target = t
	}
	parent, base := filepath.Dir(target), filepath.Base(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	if err := cleanStale(parent, base, target); err != nil {
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	st, err := os.Stat(target)
	exists := err == nil
	switch {
	case exists && !st.IsDir():
		return nil, fmt.Errorf("write %s: it exists and is not a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	staging, err := os.MkdirTemp(parent, stagingPrefix+base+"-")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	root, err := os.OpenRoot(staging)
	if err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	return &DirSet{ctx: ctx, dir: dir, target: target, staging: staging, root: root, exists: exists, st: st, paths: map[string]bool{}}, nil
}

// Write adds one file to the set (mode 0 means 0o644).
func (s *DirSet) Write(p string, data []byte, mode os.FileMode) error {
	return s.WriteFunc(p, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc adds one file to the set, its content what write writes.
func (s *DirSet) WriteFunc(p string, mode os.FileMode, write func(io.Writer) error) error {
	if s.done {
		return fmt.Errorf("write %s: %s: the set is already committed or aborted", s.dir, p)
	}
	if err := checkPath(p); err != nil {
		return err
	}
	if s.paths[p] {
		return fmt.Errorf("write %s: %s is given twice", s.dir, p)
	}
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", s.dir, err)
	}
	s.paths[p] = true
	s.order = append(s.order, DirFile{Path: p})
	if err := writeIn(s.root, p, mode, write); err != nil {
		return fmt.Errorf("write %s: %w", s.dir, err)
	}
	return nil
}

// ReadFile reads back a file written to the set.
func (s *DirSet) ReadFile(p string) ([]byte, error) {
	if !s.paths[p] {
		return nil, fmt.Errorf("read %s: %s is not in the set", s.dir, p)
	}
	return s.root.ReadFile(p)
}

// Abort removes the staging directory, leaving dir as it was; after
// Commit it does nothing.
func (s *DirSet) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.root.Close()
	os.RemoveAll(s.staging)
}

// Commit completes the set: it carries over the files of the old dir that
// headroom did not write (WriteDir), writes the manifest and swaps the set
// in.
func (s *DirSet) Commit() (err error) {
	if s.done {
		return fmt.Errorf("write %s: the set is already committed or aborted", s.dir)
	}
	s.done = true
	dir, staging, target, root := s.dir, s.staging, s.target, s.root
	defer func() {
		root.Close()
		// After a successful exchange staging holds the old directory.
		if rerr := os.RemoveAll(staging); rerr != nil && err == nil {
			err = fmt.Errorf("write %s: remove the old files: %w", dir, rerr)
		}
	}()
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	perm := os.FileMode(0o755)
	if s.exists {
		perm = s.st.Mode().Perm()
		if err := carryOver(s.ctx, target, staging, root, s.paths); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	if err := writeIn(root, ManifestName, 0o644, func(w io.Writer) error {
		_, err := w.Write(manifest(s.order))
		return err
	}); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := os.Chmod(staging, perm); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if beforeSwap != nil {
		if err := beforeSwap(); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	if !s.exists {
		if err := os.Rename(staging, target); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		return nil
	}
	if err := exchange(staging, target); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	return nil
}

// exchange swaps the directories a and b, falling back to moving b aside
// (as .headroom-previous-…, which the next WriteDir restores if the second
// rename never happened) and renaming a to b, then the old b to a.
func exchange(a, b string) error {
	if err := renameExchange(a, b); err == nil {
		return nil
	}
	prev, err := os.MkdirTemp(filepath.Dir(b), previousPrefix+filepath.Base(b)+"-")
	if err != nil {
		return err
	}
	if err := os.Remove(prev); err != nil {
		return err
	}
	if err := os.Rename(b, prev); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		if rerr := os.Rename(prev, b); rerr != nil {
			return fmt.Errorf("%w; the old directory is at %s", err, prev)
		}
		return err
	}
	return os.Rename(prev, a)
}

// cleanStale removes the staging directories an interrupted WriteDir of
// target left in parent, and restores a previous directory moved aside by
// a fallback exchange that never completed.
func cleanStale(parent, base, target string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	_, terr := os.Lstat(target)
	for _, e := range entries {
		name := e.Name()
		switch {
		case ownName(name, stagingPrefix, base):
			if err := os.RemoveAll(filepath.Join(parent, name)); err != nil {
				return err
			}
		case ownName(name, previousPrefix, base):
			p := filepath.Join(parent, name)
			if errors.Is(terr, fs.ErrNotExist) {
				if err := os.Rename(p, target); err != nil {
					return err
				}
				terr = nil
				continue
			}
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownName reports whether name is prefix+base+"-"+digits, the form
// os.MkdirTemp gives WriteDir's directories (so another target's staging,
// "report-2" beside "report", is never taken for this one's).
func ownName(name, prefix, base string) bool {
	rest, ok := strings.CutPrefix(name, prefix+base+"-")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// writeIn creates p (and its directories) in root, writes and syncs it.
func writeIn(root *os.Root, p string, mode os.FileMode, write func(io.Writer) error) error {
	if mode == 0 {
		mode = 0o644
	}
	if d := path.Dir(p); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil { // past the umask, as atomicfile.Write does
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// manifest lists the files of a set, sorted, under a comment.
func manifest(files []DirFile) []byte {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	slices.Sort(paths)
	var b strings.Builder
	b.WriteString("# The files headroom wrote here. A rerun replaces these and keeps every other file.\n")
	for _, p := range paths {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// readManifest reads the paths of an old manifest; a missing one is empty
// (every old file is kept).
func readManifest(old *os.Root) (map[string]bool, error) {
	set := map[string]bool{}
	f, err := old.Open(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return set, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxManifestBytes))
	sc.Buffer(nil, maxManifestBytes)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || checkPath(line) != nil {
			continue
		}
		set[line] = true
	}
	return set, sc.Err()
}

// carryOver links (or copies) into staging every file of the old directory
// that headroom did not write there, and recreates the directories that
// hold none of headroom's files. A file it did not write at a path it
// writes now is an error: WriteDir never replaces one.
func carryOver(ctx context.Context, target, staging string, root *os.Root, newSet map[string]bool) error {
	old, err := os.OpenRoot(target)
	if err != nil {
		return err
	}
	defer old.Close()
	oldSet, err := readManifest(old)
	if err != nil {
		return fmt.Errorf("read %s: %w", ManifestName, err)
	}
	ours := map[string]bool{} // directories holding headroom's files, old or new
	for _, set := range []map[string]bool{oldSet, newSet} {
		for p := range set {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				ours[d] = true
			}
		}
	}
	// A kept directory is created writable and gets its own mode once its
	// contents are in (deepest first), so a read-only user directory can
	// still be filled.
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var modes []dirMode
	err = fs.WalkDir(old.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." || p == ManifestName {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if !ours[p] && !newSet[p] {
				modes = append(modes, dirMode{p, info.Mode().Perm()})
				return root.MkdirAll(p, 0o700)
			}
			return nil
		}
		if newSet[p] && !oldSet[p] {
			// Never replace a file headroom did not write (a directory taken
			// over with --force, or a file the user put where a new one goes).
			return fmt.Errorf("%s is not headroom's (%s does not list it) and this run writes that path: move it aside, or remove it to let headroom write it", clip(p), ManifestName)
		}
		if oldSet[p] || newSet[p] {
			return nil
		}
		if dir := path.Dir(p); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("keep %s: %w", p, err)
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := old.Readlink(p)
			if err != nil {
				return err
			}
			if err := root.Symlink(link, p); err != nil {
				return fmt.Errorf("keep %s: %w", p, err)
			}
			return nil
		}
		lerr := os.Link(filepath.Join(target, filepath.FromSlash(p)), filepath.Join(staging, filepath.FromSlash(p)))
		if lerr == nil {
			return nil
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("keep %s: %w", p, lerr)
		}
		data, err := old.ReadFile(p)
		if err != nil {
			return fmt.Errorf("keep %s: %w", p, err)
		}
		if err := writeIn(root, p, info.Mode().Perm(), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return fmt.Errorf("keep %s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(modes) - 1; i >= 0; i-- {
		if err := root.Chmod(modes[i].path, modes[i].mode); err != nil {
			return fmt.Errorf("keep %s: %w", modes[i].path, err)
		}
	}
	return nil
}

// checkPath accepts a slash-separated local path of printable UTF-8: no
// "..", no leading "/", no "." or empty element, no backslash, no control
// character, each element at most 255 bytes, not the manifest and not in
// a directory of headroom's own names.
func checkPath(p string) error {
	bad := func(why string) error { return fmt.Errorf("file name %q %s", clip(p), why) }
	switch {
	case p == "":
		return bad("is empty")
	case !utf8.ValidString(p):
		return bad("is not UTF-8")
	case strings.ContainsFunc(p, func(r rune) bool { return unicode.IsControl(r) || r == '\\' || r == '\u2028' || r == '\u2029' }):
		return bad("holds a control character or a backslash")
	case !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p || strings.HasPrefix(p, "./"):
		return bad("leaves the output directory or is not clean")
	case p == ManifestName:
		return bad("is headroom's manifest")
	}
	for _, el := range strings.Split(p, "/") {
		if len(el) > 255 {
			return bad("has an element longer than 255 bytes")
		}
		if strings.HasPrefix(el, stagingPrefix) || strings.HasPrefix(el, previousPrefix) {
			return bad("is named like headroom's staging directories")
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:80], ""), len(s))
}

// CheckOutputDir refuses a directory WriteDir must not replace: the empty
// name, the root directory, the home directory or one of its parents, and
// the current directory or one of its parents (the set is swapped in by
// renaming a whole directory; the directory a shell sits in, or the one
// that holds a user's work, is not headroom's to swap).
func CheckOutputDir(dir string) error {
	if dir == "" {
		return errors.New("the output directory must be named")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cands := []string{abs}
	if r, err := filepath.EvalSymlinks(abs); err == nil && r != abs {
		cands = append(cands, r)
	}
	for _, d := range cands {
		if filepath.Dir(d) == d {
			return fmt.Errorf("%s is the root directory: name a directory of its own for the output", dir)
		}
	}
	type guard struct{ path, what string }
	var guards []guard
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		guards = append(guards, guard{home, "your home directory"})
	}
	if wd, err := os.Getwd(); err == nil {
		guards = append(guards, guard{wd, "the current directory"})
	}
	for _, g := range guards {
		paths := []string{g.path}
		if r, err := filepath.EvalSymlinks(g.path); err == nil && r != g.path {
			paths = append(paths, r)
		}
		for _, gp := range paths {
			for _, d := range cands {
				if rel, err := filepath.Rel(d, gp); err == nil && (rel == "." || filepath.IsLocal(rel)) {
					what := g.what
					if rel != "." {
						what = "a parent of " + g.what
					}
					return fmt.Errorf("%s is %s: the output directory is replaced as a whole, so name a directory of its own (e.g. %s)", dir, what, filepath.Join(dir, "headroom-out"))
				}
			}
		}
	}
	return nil
}
