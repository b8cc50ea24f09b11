package scenarios

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseMultiplier_Spellings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"3x", 3, false}, {"3", 3, false}, {"300%", 3, false}, {" 2.5X ", 2.5, false}, {"0.4x", 0.4, false},
		{"x", 0, true}, {"3xx", 0, true}, {"NaNx", 0, true}, {"Inf", 0, true}, {"", 0, true}, {"3 times", 0, true},
	} {
		got, err := ParseMultiplier(tc.in)
		if (err != nil) != tc.err || (!tc.err && math.Abs(got-tc.want) > 1e-12) {
			t.Errorf("ParseMultiplier(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseRatio_Spellings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"80%", 0.8, false}, {"0.8", 0.8, false}, {"1%", 0.01, false}, {" 0.5 % ", 0.005, false},
		{"%", 0, true}, {"80x", 0, true}, {"NaN%", 0, true}, {"", 0, true},
	} {
		got, err := ParseRatio(tc.in)
		if (err != nil) != tc.err || (!tc.err && math.Abs(got-tc.want) > 1e-12) {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestPlan_UnitSpellings: the spellings of a ratio and a multiplier give
// the same plan, and an absent noise interval is "required".
func TestPlan_UnitSpellings(t *testing.T) {
	plan := func(maxUtil, errRate, mult string) string {
		q := "0.95"
		if strings.HasSuffix(errRate, `%"`) {
			q = `"95%"`
		}
		return `apiVersion: headroom.dev/v1alpha1
kind: CapacityPlan
metadata: {name: t}
services:
  - name: api
    replicas: 2
    resources: {requests: {cpu: 500m, memory: 512Mi}}
    requestRate: 10/s
    serviceTime: {mean: 50ms}
    concurrency: 4
    cpu: {perRequest: 10ms}
    memory: {base: 100Mi}
    slo: {maxUtilization: ` + maxUtil + `, errorRate: ` + errRate + `, latency: {quantile: ` + q + `, target: 1s}}
scenarios:
  - name: s
    duration: 1h
    profile:
      - spike: {at: 10m, hold: 10m, multiplier: ` + mult + `}
      - schedule: {default: ` + mult + `, windows: [{from: "00:00", to: "01:00", multiplier: ` + mult + `}]}
      - ramp: {from: 1x, to: ` + mult + `, start: 0s, end: 10m}
      - diurnal: {min: 50%, max: ` + mult + `, peak: "12:00"}
cluster:
  nodeTypes: [{name: n, allocatable: {cpu: "4", memory: 16Gi}, pricePerHour: 0.2}]
`
	}
	var first *Plan
	for _, sp := range []struct{ util, err, mult string }{
		{"80", "0.01", "3"}, {`"80%"`, `"1%"`, "3x"}, {"0.8", "0.01", `"300%"`}, {"80%", "1%", "3X"},
	} {
		p, err := Parse("p.yaml", []byte(plan(sp.util, sp.err, sp.mult)))
		if err != nil {
			t.Fatalf("%v: %v", sp, err)
		}
		s := p.Services[0]
		if math.Abs(float64(s.SLO.Latency.Quantile)-0.95) > 1e-12 {
			t.Errorf("%v: latency quantile %v, want 0.95", sp, s.SLO.Latency.Quantile)
		}
		if float64(*s.SLO.MaxUtilization) != 80 || math.Abs(float64(*s.SLO.ErrorRate)-0.01) > 1e-12 || s.UtilisationCeiling() != 0.8 {
			t.Errorf("%v: maxUtilization %v, errorRate %v", sp, *s.SLO.MaxUtilization, *s.SLO.ErrorRate)
		}
		pr := p.Scenarios[0].Profile
		if pr[0].Spike.Multiplier != 3 || *pr[1].Schedule.Default != 3 || pr[2].Ramp.To != 3 || pr[3].Diurnal.Max != 3 || pr[3].Diurnal.Min != 0.5 {
			t.Errorf("%v: multipliers %+v %+v %+v %+v", sp, pr[0].Spike, pr[1].Schedule, pr[2].Ramp, pr[3].Diurnal)
		}
		if first == nil {
			first = p
		}
	}
	for _, tc := range []struct{ util, err, mult, want string }{
		{"100%", "0.01", "3", "slo.maxUtilization: must be between 1% and 99%"},
		{"80", `"2%x"`, "3", `"2%x" is not a ratio`},
		{"80", "0.01", "threex", `"threex" is not a multiplier: write 3x, 3 or 300%`},
		{"80", "0.01", "[3]", "a multiplier is 3x, 3 or 300%"},
	} {
		_, err := Parse("p.yaml", []byte(plan(tc.util, tc.err, tc.mult)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc, err, tc.want)
		}
	}
	noise := strings.Replace(plan("80", "0.01", "3"), "      - spike:", "      - noise: {cv: 0.1}\n      - spike:", 1)
	_, err := Parse("p.yaml", []byte(noise))
	if err == nil || !strings.Contains(err.Error(), "noise.interval: is required (how long each random factor holds, e.g. 1m)") {
		t.Errorf("absent noise.interval: %v", err)
	}
	zero := strings.Replace(noise, "{cv: 0.1}", "{cv: 0.1, interval: 0s}", 1)
	_, err = Parse("p.yaml", []byte(zero))
	if err == nil || !strings.Contains(err.Error(), "noise.interval: must be at least 1s, got 0s") {
		t.Errorf("zero noise.interval: %v", err)
	}
}

func FuzzParseMultiplier(f *testing.F) {
	for _, s := range []string{"3x", "3", "300%", "0.4X", "x", "%", "1e308x", "-2x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMultiplier(s)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ParseMultiplier(%q) = %v", s, v)
		}
		var m Multiplier
		_ = m.UnmarshalJSON([]byte(s))
	})
}

func FuzzParseRatio(f *testing.F) {
	for _, s := range []string{"80%", "0.8", "1%", "%", "80", "1e400%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRatio(s)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ParseRatio(%q) = %v", s, v)
		}
		var p Percent
		if p.UnmarshalJSON([]byte(s)) == nil && (math.IsNaN(float64(p)) || math.IsInf(float64(p), 0)) {
			t.Fatalf("Percent(%q) = %v", s, p)
		}
		var r Ratio
		_ = r.UnmarshalJSON([]byte(s))
	})
}

// TestPercent_ExactPercent: "55%" is 55, not 0.55 × 100.
func TestPercent_ExactPercent(t *testing.T) {
	for i := 1; i < 100; i++ {
		var p Percent
		if err := p.UnmarshalJSON([]byte(fmt.Sprintf(`"%d%%"`, i))); err != nil || float64(p) != float64(i) {
			t.Errorf("%d%% = %v, %v", i, float64(p), err)
		}
	}
}
