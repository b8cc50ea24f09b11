package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ForeignDirError is a non-empty directory that holds no manifest: headroom
// did not write it, so WriteDir would mix its files into someone else's.
type ForeignDirError struct {
	Dir   string
	Names []string // a few of its entries, for the message
}

func (e *ForeignDirError) Error() string {
	return fmt.Sprintf("%s is not empty and headroom did not write it (no %s; it holds %s)",
		e.Dir, ManifestName, strings.Join(e.Names, ", "))
}

// CheckTarget finds, before any work is done, what would stop WriteDir or
// make it write where it should not: dir (after CheckOutputDir) exists and
// is not a directory; its parent (or the nearest ancestor that exists, which
// WriteDir would create the rest under) does not let a directory be created
// and removed (probed with one, removed at once: WriteDir builds its set in
// a directory there and renames it into place); dir exists and cannot be
// written or read. Unless force, a non-empty dir without the manifest of an
// earlier WriteDir is refused with a *ForeignDirError; with force its files
// are kept, as the user's files always are.
func CheckTarget(dir string, force bool) error {
	if err := CheckOutputDir(dir); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if t, err := filepath.EvalSymlinks(abs); err == nil {
		abs = t
	}
	st, err := os.Stat(abs)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s: %w", dir, unwrapPath(err))
	}
	exists := err == nil
	parent := filepath.Dir(abs)
	for {
		pst, err := os.Stat(parent)
		if err == nil {
			if !pst.IsDir() {
				return fmt.Errorf("%s: %s is not a directory", dir, parent)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) || filepath.Dir(parent) == parent {
			return fmt.Errorf("%s: %w", dir, err)
		}
		parent = filepath.Dir(parent)
	}
	probe, err := os.MkdirTemp(parent, stagingPrefix+"probe-")
	if err != nil {
		return fmt.Errorf("%s cannot be written: %w", dir, unwrapPath(err))
	}
	if err := os.Remove(probe); err != nil {
		return fmt.Errorf("%s: remove the probe %s: %w", dir, probe, err)
	}
	if !exists {
		return nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("%s cannot be read: %w", dir, unwrapPath(err))
	}
	defer f.Close()
	names, err := f.Readdirnames(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s cannot be read: %w", dir, unwrapPath(err))
	}
	if err := writableDir(abs); err != nil {
		return fmt.Errorf("%s cannot be written: %w", dir, err)
	}
	if len(names) == 0 || force {
		return nil
	}
	for _, n := range names {
		if n == ManifestName {
			return nil
		}
	}
	// Readdirnames returned a few; the manifest may be among the rest.
	if _, err := os.Lstat(filepath.Join(abs, ManifestName)); err == nil {
		return nil
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	for i, n := range names {
		if n != "…" {
			names[i] = fmt.Sprintf("%q", clip(n))
		}
	}
	return &ForeignDirError{Dir: dir, Names: names}
}

// unwrapPath drops the *PathError's own path (the probe's random name),
// keeping its cause.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
