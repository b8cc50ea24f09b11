package scenarios

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads the file at path ("-" is stdin, named "<stdin>") of at
// most max bytes, without reading more than max+1 of a larger one: a plan,
// an HPA manifest or a result file given by mistake as a multi-gigabyte
// file is refused, not loaded. what names the file in errors ("plan").
func ReadFile(what, path string, stdin io.Reader, max int64) (name string, data []byte, err error) {
	r := stdin
	name = path
	if path == "-" {
		name = "<stdin>"
		if stdin == nil {
			return name, nil, fmt.Errorf("read %s: only one input can come from standard input, and it is not this one; give a file", what)
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return name, nil, fmt.Errorf("read %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	data, err = io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return name, nil, fmt.Errorf("read %s %s: %w", what, name, err)
	}
	if int64(len(data)) > max {
		return name, nil, fmt.Errorf("read %s %s: larger than %s; headroom reads %s files of at most that size", what, name, byteSize(max), what)
	}
	return name, data, nil
}

// byteSize writes n bytes as KiB or MiB.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
