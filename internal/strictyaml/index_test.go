package strictyaml

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const indexTestYAML = `apiVersion: headroom.dev/v1alpha1
services:
  - name: noa-mcp
    resources:
      requests:
        cpu: 500m
        nvidia.com/gpu: 1
    hpa:
      maxReplicas: 10
      behavior:
        scaleUp:
          policies:
            - {type: Pods, value: 4, periodSeconds: 60}
  - name: noa-ui
    replicas: 2
`

func TestIndex_Position(t *testing.T) {
	var p decodeTestPlan
	ix, err := Decode("plan.yaml", []byte(indexTestYAML), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	tests := []struct {
		path      string
		line, col int
		ok        bool
	}{
		{path: "", line: 1, col: 1, ok: true},
		{path: "apiVersion", line: 1, col: 13, ok: true},
		{path: "services", line: 2, col: 1, ok: true},          // block sequence: its key
		{path: "services[0]", line: 3, col: 5, ok: true},       // item: its first key
		{path: "services[noa-mcp]", line: 3, col: 5, ok: true}, // by name
		{path: "services[0].hpa", line: 8, col: 5, ok: true},   // block mapping: its key
		{path: "services[0].hpa.maxReplicas", line: 9, col: 20, ok: true},
		{path: "services[noa-mcp].hpa.maxReplicas", line: 9, col: 20, ok: true},
		{path: "services[noa-mcp].resources.requests.cpu", line: 6, col: 14, ok: true},
		{path: "services[noa-mcp].resources.requests.nvidia.com/gpu", line: 7, col: 25, ok: true},
		{path: "services[noa-mcp].hpa.behavior.scaleUp.policies[0]", line: 13, col: 15, ok: true},
		{path: "services[noa-mcp].hpa.behavior.scaleUp.policies[0].value", line: 13, col: 35, ok: true},
		{path: "services[1].replicas", line: 15, col: 15, ok: true},
		{path: "services[noa-ui].replicas", line: 15, col: 15, ok: true},
		// Absent: the nearest ancestor.
		{path: "services[noa-mcp].hpa.minReplicas", line: 8, col: 5, ok: true},
		{path: "services[noa-ui].hpa.behavior.scaleDown", line: 14, col: 5, ok: true},
		{path: "services[noa-mcp].resources.limits.memory", line: 4, col: 5, ok: true},
		{path: "services[nope].replicas", line: 2, col: 1, ok: true},
		{path: "services[7]", line: 2, col: 1, ok: true},
		{path: "cluster.nodeTypes[0].name", line: 1, col: 1, ok: true},
	}
	for _, tt := range tests {
		line, col, ok := ix.Position(tt.path)
		if line != tt.line || col != tt.col || ok != tt.ok {
			t.Errorf("Position(%q) = %d, %d, %t; want %d, %d, %t", tt.path, line, col, ok, tt.line, tt.col, tt.ok)
		}
	}
	if _, _, ok := (*Index)(nil).Position("services"); ok {
		t.Errorf("nil Index: Position ok = true, want false")
	}
}

func TestIndex_PositionAliases(t *testing.T) {
	const data = `services:
  - &a
    name: a
    resources:
      requests: {cpu: 1}
  - *a
  - <<: *a
    name: c
`
	var p decodeTestPlan
	ix, err := Decode("plan.yaml", []byte(data), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	tests := []struct {
		path      string
		line, col int
	}{
		{path: "services[a].resources.requests.cpu", line: 5, col: 23},
		// An alias is located where it is used, everything in it too.
		{path: "services[1]", line: 6, col: 5},
		{path: "services[1].resources.requests.cpu", line: 6, col: 5},
		// Merged keys are located where they are written, in the anchor.
		{path: "services[c].name", line: 8, col: 11},
		{path: "services[c].resources.requests.cpu", line: 5, col: 23},
	}
	for _, tt := range tests {
		line, col, ok := ix.Position(tt.path)
		if line != tt.line || col != tt.col || !ok {
			t.Errorf("Position(%q) = %d, %d, %t; want %d, %d, true", tt.path, line, col, ok, tt.line, tt.col)
		}
	}
}

func TestIndex_Locate(t *testing.T) {
	var p decodeTestPlan
	ix, err := Decode("plan.yaml", []byte(indexTestYAML), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	errs := FieldErrors{
		fieldErrorf("services[noa-mcp].hpa.maxReplicas", "10 is too many"),
		fieldErrorf("services[noa-mcp].hpa.minReplicas", "is required"),
		fieldErrorf("services[noa-ui].hpa", "is required"),
		fieldErrorf("cluster", "is required"),
		{File: "other.yaml", Line: 3, Column: 4, Path: "services", Msg: "already located"},
	}
	got := ix.Locate(errs)
	want := FieldErrors{
		{File: "plan.yaml", Line: 9, Column: 20, Path: "services[noa-mcp].hpa.maxReplicas", Msg: "10 is too many"},
		{File: "plan.yaml", Line: 8, Column: 5, Path: "services[noa-mcp].hpa.minReplicas", Msg: "is required"},
		{File: "plan.yaml", Line: 14, Column: 5, Path: "services[noa-ui].hpa", Msg: "is required"},
		{File: "plan.yaml", Line: 1, Column: 1, Path: "cluster", Msg: "is required"},
		{File: "other.yaml", Line: 3, Column: 4, Path: "services", Msg: "already located"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Locate mismatch (-want +got):\n%s", diff)
	}
	if errs[0].Line != 0 {
		t.Errorf("Locate changed its argument")
	}
	if got := (*Index)(nil).Locate(errs); len(got) != len(errs) || got[0].Line != 0 {
		t.Errorf("nil Index: Locate changed the errors")
	}
}

// fieldErrorf is a FieldError without a position, as a caller's validation
// makes them.
func fieldErrorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
