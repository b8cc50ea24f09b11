// Command planref writes the CapacityPlan reference from the schema's Go
// types and their doc comments, so that the documentation cannot drift from
// the decoder:
//
//	docs/plan.md                  the reference a person reads
//	docs/schema/capacityplan.json a JSON Schema (draft-07) for editors
//	                              (yaml-language-server) and validators
//	scenarios/reference.json      what `headroom explain` embeds
//
// The field tree comes from reflection over scenarios.Plan (json tags, Go
// types); descriptions and the facts Required, Default, Range, Example and
// One of come from the doc comments, read with go/parser from the packages
// that declare the types (scenarios, k8s.io/api/autoscaling/v2,
// k8s.io/api/core/v1). Run it with `go generate ./scenarios`; a test
// fails when the committed files differ from what it generates.
//
// It lives in hack/ so that go/parser and the generator's tables stay out
// of the headroom binary.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// outputs are the files planref writes, relative to the repository root.
const (
	outMarkdown  = "docs/plan.md"
	outSchema    = "docs/schema/capacityplan.json"
	outReference = "scenarios/reference.json"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	files, err := Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "planref:", err)
		os.Exit(1)
	}
	for name, data := range files {
		path := filepath.Join(*root, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "planref:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "planref:", err)
			os.Exit(1)
		}
	}
}

// Generate returns the generated files by path relative to root.
func Generate(root string) (map[string][]byte, error) {
	docs, err := loadDocs(root)
	if err != nil {
		return nil, err
	}
	tree, oneOf, err := build(docs)
	if err != nil {
		return nil, err
	}
	md := markdown(tree)
	schema, err := jsonSchema(tree, oneOf)
	if err != nil {
		return nil, err
	}
	ref, err := referenceJSON(tree)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{outMarkdown: md, outSchema: schema, outReference: ref}, nil
}
