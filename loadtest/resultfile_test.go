package loadtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResultFile_RoundTrip(t *testing.T) {
	res, err := ReadResultFile("testdata/run-steps.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteResultFile(path, res); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResultFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Totals.Latency.Quantile(0.99) != res.Totals.Latency.Quantile(0.99) || len(back.Windows) != len(res.Windows) {
		t.Error("the round trip changed the result")
	}
	a, _ := os.ReadFile(path)
	if err := WriteResultFile(path, back); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(a) != string(b) {
		t.Error("writing the same result twice gave different bytes")
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestParseResult_Refuses(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"syntax error names the line", "{\n\"schemaVersion\": \n}", "r.json:3:"},
		{"other schema", `{"schemaVersion": "v0", "speedup": 1, "window": "1s"}`, "schemaVersion"},
		{"unknown field", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "bogus": 1}`, "bogus"},
		{"speedup below 1", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 0.5, "window": "1s"}`, "speedup"},
		{"no window", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1}`, "window"},
		{"negative count", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"sent": -1}]}`, "windows[0]"},
		{"errors above completed", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"errors": 2, "completed": 1}]}`, "windows[0]: errors"},
		{"offsets out of order", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"offset": 1}, {"offset": 1}]}`, "windows[1].offset"},
		{"negative rate", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"rate": -3}]}`, "windows[0].rate"},
		{"bad duration", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "soon"}`, "soon"},
		{"watch negative replicas", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "watch": [{"readyReplicas": -1}]}`, "watch[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseResult("r.json", []byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func FuzzParseResult(f *testing.F) {
	for _, p := range []string{"testdata/run-steps.json", "testdata/run-low.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"latency": null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResult("fuzz.json", b)
		if err != nil {
			return
		}
		// Whatever parses can be compared and calibrated without a panic.
		for _, w := range r.Windows {
			_ = w.Latency.Quantile(0.95)
		}
		_ = r.Totals.Latency.Mean()
	})
}
