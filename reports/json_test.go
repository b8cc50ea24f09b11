package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/review/record"
)

// withSeries is the bundled example's review with every current run's
// full series in report.json.
func withSeries(t *testing.T) *record.Review {
	t.Helper()
	_, rep := noa(t)
	r := *rep
	r.Services = make([]record.ServiceSection, len(rep.Services))
	n := 0
	for i, s := range rep.Services {
		s.Scenarios = append([]record.ServiceScenario(nil), s.Scenarios...)
		for j := range s.Scenarios {
			x := &s.Scenarios[j]
			if run := r.Run(x.Scenario, record.Current); run != nil {
				if sr := run.Service(s.Name); sr != nil {
					x.Series = sr.Series
					n += len(sr.Series)
				}
			}
		}
		r.Services[i] = s
	}
	if n == 0 {
		t.Fatal("the example's runs have no series")
	}
	return &r
}

func encodeWhole(t *testing.T, rep *record.Review) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestWriteJSONIsEncodingJSON: walked field by field, report.json is byte
// for byte what encoding/json writes of the whole review, but for the
// series' points, one to a line.
func TestWriteJSONIsEncodingJSON(t *testing.T) {
	rep := withSeries(t)
	want := encodeWhole(t, rep)
	var got bytes.Buffer
	s := &jsonStream{indentSamples: true}
	// the same writer WriteJSON uses, with the points indented
	got.Reset()
	if err := writeJSON(&got, rep, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("the streamed JSON (%d bytes) differs from encoding/json's (%d bytes)", got.Len(), len(want))
	}

	compact, err := JSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(compact, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("report.json with one point per line decodes to another value")
	}
	if len(compact) >= len(want) {
		t.Errorf("one point per line: %d bytes, not fewer than indented (%d)", len(compact), len(want))
	}
	lines := 0
	for _, line := range strings.Split(string(compact), "\n") {
		if strings.Contains(line, `"tSeconds":`) {
			lines++
			if !strings.HasSuffix(strings.TrimSuffix(line, ","), "}") || !strings.Contains(line, `"sloViolated":`) {
				t.Fatalf("a point is not one line: %q", line)
			}
		}
	}
	if lines == 0 {
		t.Fatal("no series point found")
	}
}

// TestWriteJSONRefusesUnknownTags: a field the walker cannot write as
// encoding/json would is an error, not a silently different file.
func TestWriteJSONRefusesUnknownTags(t *testing.T) {
	type odd struct {
		N int `json:"n,string"`
	}
	streamedTypes[reflect.TypeFor[odd]()] = true
	defer delete(streamedTypes, reflect.TypeFor[odd]())
	s := &jsonStream{}
	var b bytes.Buffer
	if err := writeJSONValue(&b, reflect.ValueOf(odd{N: 1}), s); err == nil || !strings.Contains(err.Error(), "string") {
		t.Fatalf("got %v, want an error naming the option", err)
	}
}
