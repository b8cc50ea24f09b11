package atomicfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckTarget: absent and empty directories pass; a file, a path under
// a file and a non-empty directory without a manifest do not (the last
// passes with force); a directory with a manifest passes; the probe leaves
// nothing behind.
func TestCheckTarget(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o755)
	foreign := filepath.Join(parent, "foreign")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "notes.md"), []byte("mine"), 0o644)
	owned := filepath.Join(parent, "owned")
	if err := WriteDir(context.Background(), owned, []DirFile{{Path: "a.txt", Data: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(owned, "user.txt"), []byte("u"), 0o644)
	for _, tc := range []struct {
		dir   string
		force bool
		want  string // "" passes
	}{
		{filepath.Join(parent, "new", "deeper"), false, ""},
		{empty, false, ""},
		{owned, false, ""},
		{foreign, true, ""},
		{foreign, false, `headroom did not write it (no .headroom-manifest; it holds "notes.md")`},
		{file, true, "exists and is not a directory"},
		{filepath.Join(file, "r"), false, "is not a directory"},
	} {
		err := CheckTarget(tc.dir, tc.force)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s (force %v): %v", tc.dir, tc.force, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s (force %v): %v, want %q", tc.dir, tc.force, err, tc.want)
		}
	}
	var fe *ForeignDirError
	if err := CheckTarget(foreign, false); !errors.As(err, &fe) || fe.Dir != foreign {
		t.Errorf("not a *ForeignDirError: %v", err)
	}
	es, _ := os.ReadDir(parent)
	if len(es) != 4 {
		t.Errorf("the probes left %v", es)
	}
}

// TestWriteDir_NeverReplacesAForeignFile: a file headroom did not write at
// a path it writes now (a directory taken over with --force, or a user's
// file where a new one goes) fails the write and leaves the directory as
// it was.
func TestWriteDir_NeverReplacesAForeignFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(filepath.Join(dir, "patches"), 0o755)
	os.WriteFile(filepath.Join(dir, "patches", "new.yaml"), []byte("mine"), 0o644)
	set := []DirFile{{Path: "a.txt", Data: []byte("a")}, {Path: "patches/new.yaml", Data: []byte("headroom's")}}
	err := WriteDir(context.Background(), dir, set)
	if err == nil || !strings.Contains(err.Error(), "patches/new.yaml is not headroom's") {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "patches", "new.yaml")); string(b) != "mine" {
		t.Errorf("the user's file is now %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err == nil {
		t.Error("a.txt was written")
	}
	// With the manifest of an earlier run that did not write it: the same.
	os.Rename(filepath.Join(dir, "patches", "new.yaml"), filepath.Join(dir, "keep"))
	if err := WriteDir(context.Background(), dir, set[:1]); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "patches", "new.yaml"), []byte("mine"), 0o644)
	if err := WriteDir(context.Background(), dir, set); err == nil {
		t.Error("a user's file at a new path of headroom's was replaced")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "patches", "new.yaml")); string(b) != "mine" {
		t.Errorf("the user's file is now %q", b)
	}
}
