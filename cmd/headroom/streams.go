package main

import (
	"encoding/json"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

// ioStreams are a command's standard streams, injected so tests can read
// what a command prints.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

func defaultStreams() ioStreams { return ioStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// printJSON writes v to w as indented JSON and a newline: every command's
// -o json.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// printYAML writes v to w as YAML: every command's -o yaml.
func printYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
