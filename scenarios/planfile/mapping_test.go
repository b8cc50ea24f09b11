package planfile

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestEdits(t *testing.T) {
	var doc yaml.Node
	src := "name: a # the name\ncpu: null # to fill\nkeep: 1\ndrop: 2\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	if value(m, "keep").Value != "1" || value(m, "nope") != nil || value(value(m, "keep"), "x") != nil {
		t.Fatal("Value")
	}
	cpu := ensure(m, "cpu")
	set(cpu, "idle", &yaml.Node{Kind: yaml.ScalarNode, Value: "10m"})
	set(ensure(m, "memory"), "base", &yaml.Node{Kind: yaml.ScalarNode, Value: "64Mi"})
	set(m, "name", &yaml.Node{Kind: yaml.ScalarNode, Value: "b"})
	remove(m, "drop")
	remove(m, "absent")
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	want := "name: b # the name\ncpu: # to fill\n    idle: 10m\nkeep: 1\nmemory:\n    base: 64Mi\n"
	if got := string(out); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, strings.ReplaceAll(want, " ", "·"))
	}
}
