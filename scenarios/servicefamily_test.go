package scenarios

import (
	"math"
	"strings"
	"testing"
)

// TestServiceFamily_Fit: a named family is fitted exactly to the mean and
// p95; the lognormal with mean 50 ms and p95 165.4 ms has cv 1.5, the gamma
// fitted to the same two numbers about 1.15.
func TestServiceFamily_Fit(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	for _, tc := range []struct {
		add    string
		wantCV float64
		family string
	}{
		{"      mean: 50ms\n      p95: 165.4ms\n      distribution: lognormal", 1.5, "lognormal"},
		{"      mean: 50ms\n      p95: 165.4ms", 1.15, "gamma"},
		{"      mean: 50ms\n      cv: 0.5\n      distribution: weibull", 0.5, "weibull"},
		{"      mean: 50ms\n      distribution: exponential", 1, "exponential"},
	} {
		p, err := Parse("fam.yaml", []byte(strings.Replace(base, "      mean: 200ms\n      p95: 500ms", tc.add, 1)))
		if err != nil {
			t.Fatalf("%q: %v", tc.add, err)
		}
		s := &p.Services[0]
		cs2, err := s.ServiceCS2()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(math.Sqrt(cs2)-tc.wantCV) > 0.01 {
			t.Errorf("%q: cv %.3f, want %.2f", tc.add, math.Sqrt(cs2), tc.wantCV)
		}
		if s.ServiceFamily() != tc.family {
			t.Errorf("%q: family %q, want %q", tc.add, s.ServiceFamily(), tc.family)
		}
	}
}

func TestServiceFamily_BadInput(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	for _, tc := range []struct{ add, want string }{
		{"      mean: 50ms\n      distribution: pareto", `bad.yaml:14:21: services[api].serviceTime.distribution: must be one of exponential, gamma, lognormal, weibull or empirical, got "pareto"`},
		{"      mean: 50ms\n      p95: 250ms\n      distribution: lognormal", `services[api].serviceTime.p95: no lognormal service time with mean 0.05 has a p95 of 0.25`},
		{"      mean: 50ms\n      cv: 2\n      distribution: exponential", `services[api].serviceTime.cv: an exponential service time has cv 1, got 2`},
	} {
		_, err := Parse("bad.yaml", []byte(strings.Replace(base, "      mean: 200ms\n      p95: 500ms", tc.add, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.add, err, tc.want)
		}
	}
}

// TestServiceTimeWarning: a heavy tail without a family is named, with
// the gamma and lognormal figures; a named family or a light tail is not.
func TestServiceTimeWarning(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	for _, tc := range []struct{ add, want string }{
		{"      mean: 50ms\n      p95: 165.4ms", "cv 1.15 as a gamma, the default) and no distribution is named; as a lognormal its cv is 1.50"},
		{"      mean: 50ms\n      cv: 1.5", "its p95 is 200.3 ms as a gamma (the default) and 165.4 ms as a lognormal (-17 %)"},
		{"      mean: 50ms\n      p95: 165.4ms\n      distribution: lognormal", ""},
		{"      mean: 50ms\n      p95: 100ms", ""},
	} {
		p, err := Parse("w.yaml", []byte(strings.Replace(base, "      mean: 200ms\n      p95: 500ms", tc.add, 1)))
		if err != nil {
			t.Fatal(err)
		}
		got := p.Services[0].ServiceTimeWarning()
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%q: warning %q, want %q", tc.add, got, tc.want)
		}
	}
}
