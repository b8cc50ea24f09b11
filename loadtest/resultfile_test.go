package loadtest

import (
	"encoding/json"
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
		{"negative latency in the totals", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "totals": {"p99": -1}}`, "totals.p99 must be a finite number ≥ 0"},
		{"negative mean latency", `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"mean": -0.001}]}`, "windows[0].mean must be a finite number ≥ 0"},
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

// FuzzParseResult: no result file panics, hangs or expands without bound;
// its histograms go through internal/hdrcodec. Seeded with the saved runs
// and the hostile files of testdata/hostile (a histogram with more counts
// than its range, lowest 2^60 and 2^62, a zlib bomb, highest < lowest,
// significant figures 0 and 9, a negative latency, a type error).
func FuzzParseResult(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/hostile/*.json")
	seeds = append(seeds, "testdata/run-steps.json", "testdata/run-low.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 {
			continue // the zlib bomb: its test is TestParseResult_Hostile
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", "windows": [{"latency": null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResult("fuzz.json", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		// Whatever parses can be compared and calibrated without a panic,
		// and writes back to a file that parses.
		all := Window{}
		for _, w := range r.Windows {
			_ = w.Latency.Quantile(0.95)
			_ = w.Latency.StdDev()
			all.Add(w)
		}
		all.Summarise(1)
		_ = r.Totals.Latency.Mean()
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := ParseResult("again.json", out); err != nil {
			t.Fatalf("a parsed result re-encodes to one that does not parse: %v", err)
		}
	})
}

// TestParseResult_Hostile: the hostile result files of testdata/hostile
// (histograms that panic, loop or inflate without bound in
// hdrhistogram-go's own decoder, and values a reader must not take) give
// an error naming the window and the byte offset.
func TestParseResult_Hostile(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"more-counts-than-range.json", "windows[3].latency: HDR histogram: payload byte 32: more counts than the 32 buckets"},
		{"lowest-2e62.json", "windows[3].latency: HDR histogram: highest trackable value 9223372036854775807 must be at least twice the lowest 4611686018427387904"},
		{"lowest-2e60.json", "windows[3].latency: HDR histogram: lowest trackable value 1152921504606846976 is too large for 3 significant figures"},
		{"zlib-bomb.json", "windows[3].latency: HDR histogram: payload of 67108864 bytes for 23552 buckets"},
		{"highest-below-lowest.json", "windows[3].latency: HDR histogram: highest trackable value 10 must be at least twice the lowest 1000"},
		{"significant-figures-9.json", "windows[3].latency: HDR histogram: significant figures must be 1 to 5, got 9"},
		{"significant-figures-0.json", "windows[3].latency: HDR histogram: significant figures must be 1 to 5, got 0"},
		{"negative-latency.json", "windows[3].p95 must be a finite number ≥ 0, got -0.25"},
		{"type-error.json", "windows[3].sent: json: cannot unmarshal string"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "hostile", tc.file)
			_, err := ReadResultFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("err %q does not start with the file name", err)
			}
			t.Log(err)
		})
	}
}

// TestParseResult_Locates: decoding errors carry line, column, byte
// offset and the member, for JSON syntax and type errors too.
func TestParseResult_Locates(t *testing.T) {
	const head = `{"schemaVersion": "headroom.dev/loadtest-result/v1", "speedup": 1, "window": "1s", `
	for _, tc := range []struct{ json, want string }{
		{head + `"windows": [{"offset": 0}, {"offset": 1, "sent": 1.5}]}`, "r.json:1:133 (byte 132): windows[1].sent: json: cannot unmarshal number 1.5"},
		{head + `"windows": [{"offset": 0}, {"offset": 1, "bogus": 1}]}`, "windows[1].bogus: json: unknown field \"bogus\""},
		{head + `"windows": [{"offset": 0},` + "\n" + `{"offset": 1, "latency": 7}]}`, "r.json:2:26 (byte 135): windows[1].latency: HDR histogram: must be an HDR V2"},
		{head + `"windows": [{"offset": 0}, {"offset": 1,, }]}`, "r.json:1:124 (byte 123): windows[1]: invalid character ','"},
		{head + `"totals": {"latency": "AAAA"}}`, "totals.latency: HDR histogram: "},
		{head + `"sendLag": "AAAA"}`, "sendLag: HDR histogram: "},
		{head + `"watch": [{}, {"readyReplicas": "x"}]}`, "watch[1]: json: cannot unmarshal string"},
		{head + `"windows": 5}`, "windows: json: cannot unmarshal number"},
		{head + `"planned": "soon"}`, `planned: time: invalid duration "soon"`},
		{head + `"windows": []} {}`, "more than one JSON value"},
	} {
		_, err := ParseResult("r.json", []byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\nerr = %v\nwant it to contain %q", tc.json, err, tc.want)
		}
	}
}

func TestReadResultFile_SizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResultFileLimit(path, 1024); err == nil || !strings.Contains(err.Error(), "larger than 1 KiB") {
		t.Errorf("err = %v, want the size cap", err)
	}
}

func TestWriteResultFile_RedactsTheTarget(t *testing.T) {
	res, err := ReadResultFile("testdata/run-low.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Target = "http://u:s3cret@127.0.0.1:18081/work"
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteResultFile(path, res); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), "u:xxxxx@127.0.0.1") {
		t.Errorf("the stored target is not redacted")
	}
}
