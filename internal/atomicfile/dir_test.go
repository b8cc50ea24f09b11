package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree reads every file and symbolic link under dir, by slash path.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			out[rel] = "-> " + l
			return err
		case d.IsDir():
			if rel != "." {
				out[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func set(files ...string) []DirFile {
	var out []DirFile
	for i := 0; i < len(files); i += 2 {
		out = append(out, DirFile{Path: files[i], Data: []byte(files[i+1])})
	}
	return out
}

func TestWriteDir_KeepsUserFilesAndRemovesOnlyItsOwn(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	ctx := context.Background()
	if err := WriteDir(ctx, dir, set("report.json", "1", "patches/a.yaml", "a1", "patches/old.yaml", "stale", "plots/x.svg", "x1")); err != nil {
		t.Fatal(err)
	}
	// The user's own files, beside headroom's and inside its subdirectories.
	for p, data := range map[string]string{"notes.txt": "mine", "patches/mine.yaml": "kind: Mine", "extra/deep/keep": "k"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o700)
	if err := os.Symlink("../notes.txt", filepath.Join(dir, "patches", "link")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(ctx, dir, set("report.json", "2", "patches/a.yaml", "a2", "plots/y.svg", "y2")); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dir)
	want := map[string]string{
		"report.json": "2", "patches/": "", "patches/a.yaml": "a2", "plots/": "", "plots/y.svg": "y2",
		"notes.txt": "mine", "patches/mine.yaml": "kind: Mine", "patches/link": "-> ../notes.txt",
		"extra/": "", "extra/deep/": "", "extra/deep/keep": "k", "empty/": "",
		ManifestName: "# The files headroom wrote here. A rerun replaces these and keeps every other file.\npatches/a.yaml\nplots/y.svg\nreport.json\n",
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s", k)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("notes.txt lost its mode: %v %v", st.Mode(), err)
	}
	if n := names(t, parent); !slices.Equal(n, []string{"out"}) {
		t.Errorf("left beside the output: %v", n)
	}
}

func TestWriteDir_RefusesPathsThatLeave(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	for _, p := range []string{"../pwn-api-raise.yaml", "patches/../../pwn", "/etc/pwn", "a//b", "./a", "a/./b", "a\\..\\b", "a\nb",
		"", ManifestName, "a/.headroom-staging-x", strings.Repeat("a", 256), "a\u2028b", "\xff"} {
		err := WriteDir(context.Background(), dir, set("report.json", "1", p, "x"))
		if err == nil {
			t.Errorf("%q: written", p)
		}
	}
	if n := names(t, parent); len(n) != 0 {
		t.Errorf("left in the parent: %v", n)
	}
}

// TestWriteDir_SymlinkInsideCannotLeave: a symbolic link the user put
// where headroom writes a subdirectory does not take the write outside.
func TestWriteDir_SymlinkInsideCannotLeave(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	os.Mkdir(outside, 0o755)
	dir := filepath.Join(parent, "out")
	os.Mkdir(dir, 0o755)
	if err := os.Symlink(outside, filepath.Join(dir, "patches")); err != nil {
		t.Fatal(err)
	}
	err := WriteDir(context.Background(), dir, set("patches/x.yaml", "x"))
	if err == nil {
		t.Log("written: checking that nothing went outside")
	}
	if n := names(t, outside); len(n) != 0 {
		t.Errorf("wrote through the link: %v", n)
	}
}

func TestWriteDir_FailureMidWriteLeavesTheOldSet(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	old := set("report.json", "old", "plots/a.svg", "old-a", "patches/p.yaml", "old-p")
	if err := WriteDir(context.Background(), dir, old); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	// The second file cannot be written: "report.json" is a file, so
	// "report.json/x" has no directory.
	err := WriteDir(context.Background(), dir, set("plots/a.svg", "new-a", "report.json", "new", "report.json/x", "y"))
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmpTrees(before, tree(t, dir)); diff != "" {
		t.Errorf("the old set changed: %s", diff)
	}
	if n := names(t, parent); !slices.Equal(n, []string{"out"}) {
		t.Errorf("left beside the output: %v", n)
	}
}

func TestWriteDir_CancelledBeforeSwapLeavesTheOldSet(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := WriteDir(context.Background(), dir, set("report.json", "old", "plots/a.svg", "old-a")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	beforeSwap = func() error { cancel(); return ctx.Err() }
	defer func() { beforeSwap = nil }()
	err := WriteDir(ctx, dir, set("report.json", "new", "plots/b.svg", "new-b"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if diff := cmpTrees(before, tree(t, dir)); diff != "" {
		t.Errorf("the old set changed: %s", diff)
	}
	if n := names(t, parent); !slices.Equal(n, []string{"out"}) {
		t.Errorf("left beside the output: %v", n)
	}
	// Cancelled before it starts: nothing at all.
	if err := WriteDir(ctx, filepath.Join(parent, "new"), set("a", "b")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := names(t, parent); !slices.Equal(n, []string{"out"}) {
		t.Errorf("left beside the output: %v", n)
	}
}

func TestWriteDir_CleansStaleStaging(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	for _, d := range []string{".headroom-staging-out-123", ".headroom-staging-out-x-1", ".headroom-staging-out2-5", ".headroom-staging-out-abc"} {
		os.MkdirAll(filepath.Join(parent, d, "plots"), 0o755)
	}
	if err := WriteDir(context.Background(), dir, set("report.json", "1")); err != nil {
		t.Fatal(err)
	}
	want := []string{".headroom-staging-out-abc", ".headroom-staging-out-x-1", ".headroom-staging-out2-5", "out"}
	if n := names(t, parent); !slices.Equal(n, want) {
		t.Errorf("parent holds %v, want %v (only out's own stale staging removed)", n, want)
	}
}

// TestWriteDir_FallbackExchange: without renameat2, the old directory is
// moved aside and a run killed between the two renames is repaired by the
// next one, the user's files kept.
func TestWriteDir_FallbackExchange(t *testing.T) {
	saved := renameExchange
	renameExchange = func(a, b string) error { return errors.ErrUnsupported }
	defer func() { renameExchange = saved }()
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	ctx := context.Background()
	if err := WriteDir(ctx, dir, set("report.json", "1", "old.txt", "o")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "mine"), []byte("m"), 0o644)
	if err := WriteDir(ctx, dir, set("report.json", "2")); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); got["report.json"] != "2" || got["mine"] != "m" || got["old.txt"] != "" {
		t.Errorf("after the fallback swap: %v", got)
	}
	// Killed after moving the old directory aside.
	if err := os.Rename(dir, filepath.Join(parent, ".headroom-previous-out-42")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(ctx, dir, set("report.json", "3")); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); got["report.json"] != "3" || got["mine"] != "m" {
		t.Errorf("after the repair: %v", got)
	}
	if n := names(t, parent); !slices.Equal(n, []string{"out"}) {
		t.Errorf("left beside the output: %v", n)
	}
}

func TestWriteDir_RefusesARegularFile(t *testing.T) {
	parent := t.TempDir()
	f := filepath.Join(parent, "patches")
	os.WriteFile(f, []byte("keep"), 0o644)
	if err := WriteDir(context.Background(), f, set("a.yaml", "x")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(f); string(b) != "keep" {
		t.Errorf("the file changed: %q", b)
	}
}

func TestCheckOutputDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	work := filepath.Join(home, "work")
	os.MkdirAll(filepath.Join(work, "sub"), 0o755)
	t.Chdir(work)
	for _, dir := range []string{"", "/", "/..", "//", home, home + "/", filepath.Dir(home), ".", "./", "..", work, "sub/..", "../work"} {
		if err := CheckOutputDir(dir); err == nil {
			t.Errorf("%q accepted", dir)
		}
	}
	for _, dir := range []string{"report", "sub", "sub/report", filepath.Join(home, "other"), "../other"} {
		if err := CheckOutputDir(dir); err != nil {
			t.Errorf("%q: %v", dir, err)
		}
	}
}

func cmpTrees(a, b map[string]string) string {
	var diffs []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			diffs = append(diffs, k+": "+v+" → "+w)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "new "+k)
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

// TestWriteDir_KeepsReadOnlyUserDirectory: a read-only directory of the
// user's, with files in it, survives a rerun with its mode. (The kept
// directory is created writable and gets its mode after its files are in;
// creating it 0555 first failed for a non-root user. As root the test
// checks the mode and the contents.)
func TestWriteDir_KeepsReadOnlyUserDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx := context.Background()
	if err := WriteDir(ctx, dir, set("report.json", "1")); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "mine")
	if err := os.MkdirAll(filepath.Join(mine, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "sub", "n.txt"), []byte("u"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(mine, "sub"), mine} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(mine, 0o755); os.Chmod(filepath.Join(mine, "sub"), 0o755) })
	if err := WriteDir(ctx, dir, set("report.json", "2")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(mine, "sub", "n.txt")); err != nil || string(b) != "u" {
		t.Fatalf("the user's file: %q, %v", b, err)
	}
	for _, d := range []string{mine, filepath.Join(mine, "sub")} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o555 {
			t.Errorf("%s: mode %v (%v), want 0555", d, st.Mode().Perm(), err)
		}
	}
}
