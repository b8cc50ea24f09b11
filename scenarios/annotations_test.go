package scenarios

import (
	"strings"
	"testing"
)

func TestAnnotationsOfNOA(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	anns, err := Annotations(p.Source())
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Annotation{}
	for _, a := range anns {
		byPath[a.Path] = a
	}
	for path, want := range map[string]struct{ value, source string }{
		"services[noa-mcp].replicas":         {"3", "runbook"},
		"services[noa-mcp].serviceTime.mean": {"200ms", "assumed"}, // its own work, less its calls
		"services[noa-mcp].requestRate":      {"1000/min", "runbook"},
		"services[noa-mcp].concurrency":      {"2", "assumed"},
	} {
		a, ok := byPath[path]
		if !ok {
			t.Errorf("%s: no annotation", path)
			continue
		}
		if a.Value != want.value || a.Source != want.source {
			t.Errorf("%s = %q (%s), want %q (%s); comment %q", path, a.Value, a.Source, want.value, want.source, a.Comment)
		}
	}
}

func TestAnnotationsHeadCommentAndFlow(t *testing.T) {
	src := `services:
  - name: a

    # measured over 14 days
    requestRate: 10/s
    startup: {imagePull: 20s}   # assumed
`
	anns, err := Annotations([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Annotation{}
	for _, a := range anns {
		got[a.Path] = a
	}
	if a := got["services[a].requestRate"]; a.Source != "measured" || a.Value != "10/s" || a.Line != 5 {
		t.Errorf("head comment: %+v", a)
	}
	if a := got["services[a].startup"]; a.Source != "assumed" || !strings.Contains(a.Value, "imagePull: 20s") {
		t.Errorf("flow mapping: %+v", a)
	}
}
