package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "plan.yaml")
	if err := Write(path, []byte("a: 1\n"), 0); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("a: 2\n"), 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "a: 2\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (a temporary file is 0600 until chmod)", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files left in the directory, want only the target", len(entries))
	}
	if err := Write(filepath.Join(dir, "sub", "plan.yaml", "x"), []byte("x"), 0); err == nil {
		t.Error("writing under a file succeeded")
	}
	if err := Write(filepath.Join(dir, "script.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "script.sh")); st.Mode().Perm() != 0o755 {
		t.Errorf("script mode %v", st.Mode().Perm())
	}
}
