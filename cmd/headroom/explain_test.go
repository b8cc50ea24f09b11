package main

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestExplainEveryPath explains every field of the reference, by its path
// as written in docs/plan.md and with the list markers left out.
func TestExplainEveryPath(t *testing.T) {
	root, err := scenarios.Reference()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	root.Walk(func(f *scenarios.FieldDoc) {
		for _, path := range []string{f.Path, strings.ReplaceAll(f.Path, "[]", "")} {
			out, stderr, code := runCLI(t, "", "explain", path)
			if code != 0 {
				t.Errorf("explain %q: exit %d: %s", path, code, stderr)
				continue
			}
			if f.Path != "" && !strings.Contains(out, "FIELD: "+f.Path+" <"+f.Type+">") {
				t.Errorf("explain %q does not name the field:\n%s", path, out)
			}
		}
		n++
	})
	if n < 100 {
		t.Errorf("walked %d fields; the plan has more", n)
	}
}

func TestExplain(t *testing.T) {
	out, _, code := runCLI(t, "", "explain", "services.requestRate")
	want := `KIND:       CapacityPlan
VERSION:    headroom.dev/v1alpha1

FIELD: services[].requestRate <Rate>

DESCRIPTION:
`
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Fatalf("explain services.requestRate: exit %d\n%s\nwant prefix\n%s", code, out, want)
	}
	for _, s := range []string{"Unit: requests per second", "`1000/min`", "Range: greater than 0", "Example: requestRate: 1000/min"} {
		if !strings.Contains(out, s) {
			t.Errorf("explain services.requestRate lacks %q:\n%s", s, out)
		}
	}

	out, _, _ = runCLI(t, "", "explain", "services.hpa.behavior")
	for _, s := range []string{"FIELDS:\n  scaleUp\t<HPAScalingRules>", "  scaleDown\t<HPAScalingRules>"} {
		if !strings.Contains(out, s) {
			t.Errorf("explain services.hpa.behavior lacks %q:\n%s", s, out)
		}
	}

	out, _, _ = runCLI(t, "", "explain", "services.slo", "--recursive")
	if !strings.Contains(out, "  latency\t<LatencySLO>\n    quantile\t<Ratio> -required-\n") {
		t.Errorf("explain --recursive is not a tree:\n%s", out)
	}

	out, _, _ = runCLI(t, "", "explain")
	if !strings.Contains(out, "  services\t<[]Service> -required-") {
		t.Errorf("explain with no path does not list the plan's fields:\n%s", out)
	}
}

func TestExplainUnknownPath(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"services.hpa.behaviour", `field "behaviour" does not exist in services[].hpa; did you mean "behavior"?`},
		{"servces", `field "servces" does not exist in the plan; did you mean "services"?`},
		{"services.replicas.x", `services[].replicas (integer) has no fields`},
		{"services.zzzzzzzz", `its fields are name, namespace,`},
	} {
		_, stderr, code := runCLI(t, "", "explain", tc.path)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("explain %q: exit %d, stderr %q; want exit 2 and %q", tc.path, code, stderr, tc.want)
		}
	}
}
