//go:build !linux

package atomicfile

import "errors"

// renameExchange is not available here: WriteDir uses two renames.
var renameExchange = func(a, b string) error { return errors.ErrUnsupported }
