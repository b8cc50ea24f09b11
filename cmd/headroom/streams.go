package main

import (
	"io"
	"os"
)

// ioStreams are a command's standard streams, injected so tests can read
// what a command prints.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

func defaultStreams() ioStreams { return ioStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }
