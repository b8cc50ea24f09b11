package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/review/record"
)

// JSON renders report.json: the whole review, indented, with its schema
// version first.
func JSON(rep *record.Review) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteDir writes files under dir: each top-level file atomically (a
// temporary file renamed into place), and each of the subdirectories named
// in replace (patches, plots) built aside and swapped in whole, so no stale
// patch from an earlier report survives.
func WriteDir(dir string, files []File, replace []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	staging := map[string]string{}
	defer func() {
		for _, tmp := range staging {
			os.RemoveAll(tmp)
		}
	}()
	for _, sub := range replace {
		tmp, err := os.MkdirTemp(dir, "."+sub+".tmp-")
		if err != nil {
			return err
		}
		staging[sub] = tmp
	}
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		for sub, tmp := range staging {
			if rel, err := filepath.Rel(filepath.Join(dir, sub), target); err == nil && filepath.IsLocal(rel) {
				target = filepath.Join(tmp, rel)
			}
		}
		if err := atomicfile.Write(target, f.Data, os.FileMode(f.Mode)); err != nil {
			return err
		}
	}
	for _, sub := range replace {
		final := filepath.Join(dir, sub)
		if err := os.RemoveAll(final); err != nil {
			return fmt.Errorf("replace %s: %w", final, err)
		}
		if err := os.Rename(staging[sub], final); err != nil {
			return fmt.Errorf("replace %s: %w", final, err)
		}
		if err := os.Chmod(final, 0o755); err != nil {
			return err
		}
		delete(staging, sub)
	}
	return nil
}
