package atomicfile

import "golang.org/x/sys/unix"

// renameExchange swaps two paths in one step: renameat2(2) with
// RENAME_EXCHANGE (Linux 3.15; some filesystems refuse it, and WriteDir
// then falls back to two renames).
var renameExchange = func(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// writableDir asks the kernel whether this process may create and remove
// entries in dir: access(2) with W_OK|X_OK (faccessat with the real ids).
func writableDir(dir string) error {
	return unix.Access(dir, unix.W_OK|unix.X_OK)
}
