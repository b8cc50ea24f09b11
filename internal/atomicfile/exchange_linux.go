package atomicfile

import "golang.org/x/sys/unix"

// renameExchange swaps two paths in one step: renameat2(2) with
// RENAME_EXCHANGE (Linux 3.15; some filesystems refuse it, and WriteDir
// then falls back to two renames).
var renameExchange = func(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
