//go:build !linux

package atomicfile

import "errors"

// renameExchange is not available here: WriteDir uses two renames.
var renameExchange = func(a, b string) error { return errors.ErrUnsupported }

// writableDir is not asked here: WriteDir's own errors say it.
func writableDir(string) error { return nil }
