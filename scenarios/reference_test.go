package scenarios

import "testing"

func TestReferenceLookup(t *testing.T) {
	root, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "services", "services[].hpa.behavior.scaleUp.policies[].type", "services[0].hpa", "services[api].slo.latency", "capacityplan.cluster.nodeTypes.allocatable.cpu"} {
		if _, err := root.Lookup(path); err != nil {
			t.Errorf("Lookup(%q): %v", path, err)
		}
	}
	// requestRate is required only of a service nothing calls: the
	// reference, like the JSON Schema, cannot see the calls and leaves it
	// optional (the decoder checks).
	f, err := root.Lookup("services.requestRate")
	if err != nil || f.Type != "Rate" || f.Required || f.Path != "services[].requestRate" {
		t.Errorf("Lookup(services.requestRate) = %+v, %v", f, err)
	}
	if f, err := root.Lookup("services.concurrency"); err != nil || !f.Required {
		t.Errorf("Lookup(services.concurrency) = %+v, %v", f, err)
	}
}

// FuzzReferenceLookup checks that any path either finds a field or returns
// an error, never panics.
func FuzzReferenceLookup(f *testing.F) {
	root, err := Reference()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"services.hpa.behavior", "services[]", "[", "..", "capacityplan.", "services[x].slo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got, err := root.Lookup(path)
		if (got == nil) == (err == nil) {
			t.Errorf("Lookup(%q) = %v, %v", path, got, err)
		}
	})
}
