package scenarios

import (
	"strconv"
	"strings"
	"testing"
)

// TestParse_Uncertainty checks the plan's uncertainty section: spellings,
// the samples default, and a file:line error naming the field for every
// bad value.
func TestParse_Uncertainty(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	n := strings.Count(base, "\n")
	tests := []struct {
		name string
		sec  string
		want Uncertainty
		err  string
	}{
		{"percent and fraction", "uncertainty: {requestRate: 10%, serviceTime: 0.15, cpu: 25%, memory: 0}",
			Uncertainty{RequestRate: 0.1, ServiceTime: 0.15, CPU: 0.25, Samples: DefaultSamples}, ""},
		{"samples given", "uncertainty: {requestRate: 90%, samples: 10000}", Uncertainty{RequestRate: 0.9, Samples: 10000}, ""},
		{"range above 90%", "uncertainty: {cpu: 95%}", Uncertainty{},
			"bad.yaml:%d:20: uncertainty.cpu: must be in [0, 90%] (a relative range: 10% or 0.1), got 95%"},
		{"negative range", "uncertainty:\n  requestRate: -0.1", Uncertainty{},
			"bad.yaml:%d:16: uncertainty.requestRate: must be in [0, 90%] (a relative range: 10% or 0.1), got -10%"},
		{"zero samples", "uncertainty:\n  samples: 0", Uncertainty{},
			"bad.yaml:%d:12: uncertainty.samples: must be between 1 and 10000, got 0"},
		{"too many samples", "uncertainty: {samples: 10001}", Uncertainty{},
			"bad.yaml:%d:24: uncertainty.samples: must be between 1 and 10000, got 10001"},
		{"unknown key", "uncertainty: {requestrate: 10%}", Uncertainty{},
			"bad.yaml:%d:15: uncertainty.requestrate: unknown field \"requestrate\"; did you mean \"requestRate\"?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := base + tt.sec + "\n"
			p, err := Parse("bad.yaml", []byte(src))
			if tt.err != "" {
				line := n + 1 + strings.Count(tt.sec, "\n")
				want := strings.Replace(tt.err, "%d", itoa(line), 1)
				if err == nil || err.Error() != want {
					t.Fatalf("Parse error = %v\nwant %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *p.Uncertainty != tt.want {
				t.Errorf("uncertainty = %+v, want %+v", *p.Uncertainty, tt.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseUncertainty(t *testing.T) {
	plan := &Uncertainty{RequestRate: 0.2, CPU: 0.3, Samples: 16}
	tests := []struct {
		in   string
		base *Uncertainty
		want *Uncertainty
		err  string
	}{
		{"requestRate=10%,serviceTime=15%,samples=32", nil, &Uncertainty{RequestRate: 0.1, ServiceTime: 0.15, Samples: 32}, ""},
		{"memory=0.05", nil, &Uncertainty{Memory: 0.05, Samples: DefaultSamples}, ""},
		{"serviceTime=10%", plan, &Uncertainty{RequestRate: 0.2, ServiceTime: 0.1, CPU: 0.3, Samples: 16}, ""},
		{" samples = 64 ", plan, &Uncertainty{RequestRate: 0.2, CPU: 0.3, Samples: 64}, ""},
		{"off", plan, nil, ""},
		{"none", nil, nil, ""},
		{"", nil, nil, `"" is empty; write requestRate=10%,serviceTime=15%,samples=32 or off`},
		{"rate=10%", nil, nil, `unknown key "rate"; use requestRate, serviceTime, cpu, memory or samples`},
		{"cpu", nil, nil, `"cpu" is not KEY=VALUE; write e.g. requestRate=10%,samples=32`},
		{"cpu=91%", nil, nil, "cpu must be in [0, 90%] (a relative range: 10% or 0.1), got 91%"},
		{"cpu=lots", nil, nil, `cpu: "lots" is not a ratio: write 80% or 0.8`},
		{"samples=0", nil, nil, "samples must be between 1 and 10000, got 0"},
		{"samples=1.5", nil, nil, "samples=1.5 is not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseUncertainty(tt.in, tt.base)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("ParseUncertainty(%q) error = %v, want %s", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("ParseUncertainty(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
	if *plan != (Uncertainty{RequestRate: 0.2, CPU: 0.3, Samples: 16}) {
		t.Errorf("ParseUncertainty changed its base: %+v", *plan)
	}
}

// FuzzParseUncertainty: --uncertainty never panics, and what it accepts is
// in range and reads back the same from its String.
func FuzzParseUncertainty(f *testing.F) {
	for _, s := range []string{"requestRate=10%,serviceTime=15%,samples=32", "off", "cpu=0.9", "memory=90%,samples=10000", "cpu=1e-300", "samples=-1", "=,=", "cpu=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUncertainty(s, nil)
		if err != nil || u == nil {
			return
		}
		if ps := u.problems(); len(ps) > 0 {
			t.Fatalf("ParseUncertainty(%q) accepted %+v: %v", s, *u, ps)
		}
		back, err := ParseUncertainty(u.String(), nil)
		if err != nil {
			t.Fatalf("ParseUncertainty(%q).String() = %q does not parse: %v", s, u.String(), err)
		}
		for i, r := range back.Ranges() {
			if d := r - u.Ranges()[i]; d > 1e-6*max(r, 1e-300) || -d > 1e-6*max(r, 1e-300) || back.Samples != u.Samples {
				t.Fatalf("ParseUncertainty(%q) = %+v, read back from %q as %+v", s, *u, u.String(), *back)
			}
		}
	})
}
