package scenarios

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
)

const empiricalST = "      distribution: empirical\n      histogram:\n" +
	"        - {le: 10ms, count: 40}\n" +
	"        - {le: 25ms, count: 50}\n" +
	"        - {le: 100ms, count: 10}\n"

// The histogram above: mean (0.4·5 + 0.5·17.5 + 0.1·62.5) ms = 17 ms.
const empiricalMean = 17 * time.Millisecond

func TestEmpirical_Parse(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	for _, mean := range []string{"", "      mean: 17.2ms\n"} {
		p, err := Parse("emp.yaml", []byte(strings.Replace(base, "      mean: 200ms\n      p95: 500ms\n", mean+empiricalST, 1)))
		if err != nil {
			t.Fatalf("mean %q: %v", mean, err)
		}
		s := &p.Services[0]
		if mean == "" && s.ServiceTime.Mean.D() != empiricalMean {
			t.Errorf("derived mean %s, want %s", s.ServiceTime.Mean, empiricalMean)
		}
		if s.ServiceFamily() != model.FamilyEmpirical || len(s.ServiceTime.Histogram) != 3 {
			t.Fatalf("family %q, %d buckets", s.ServiceFamily(), len(s.ServiceTime.Histogram))
		}
		cs2, err := s.ServiceCS2()
		if err != nil {
			t.Fatal(err)
		}
		// E[S²] = 0.4·100/3 + 0.5·(100+250+625)/3 + 0.1·(625+2500+10000)/3 ms².
		m2 := (0.4*100 + 0.5*(100+250+625) + 0.1*(625+2500+10000)) / 3
		if want := m2/(17*17) - 1; math.Abs(cs2-want) > 1e-9 {
			t.Errorf("cs2 %g, want %g", cs2, want)
		}
		w, err := s.Workload(s.RequestRate.PerSecond)
		if err != nil {
			t.Fatal(err)
		}
		if w.ServiceHistogram == nil || len(w.ServiceHistogram.Buckets) != 3 {
			t.Fatalf("workload histogram %+v", w.ServiceHistogram)
		}
		if q, err := w.PodResponseQuantile(1, 0.95); err != nil || !(q > 0.025) {
			t.Errorf("pod p95 %g, %v", q, err)
		}
	}
}

func TestEmpirical_BadInput(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	for _, tc := range []struct{ st, want string }{
		{"      mean: 20ms\n" + empiricalST, "bad.yaml:13:13: services[api].serviceTime.mean: 20ms disagrees with the histogram's mean 17ms by +17.6 %"},
		{"      distribution: empirical\n      p95: 30ms\n      histogram: [{le: 10ms, count: 1}]\n", "bad.yaml:14:12: services[api].serviceTime.p95: must not be given with distribution: empirical"},
		{"      distribution: empirical\n      cv: 2\n      histogram: [{le: 10ms, count: 1}]\n", "bad.yaml:14:11: services[api].serviceTime.cv: must not be given"},
		{"      distribution: empirical\n", "services[api].serviceTime.histogram: is required with distribution: empirical"},
		{"      distribution: empirical\n      histogram:\n        - {le: 10ms, count: 1}\n        - {le: 10ms, count: 1}\n", "bad.yaml:16:16: services[api].serviceTime.histogram[1].le: must be above the previous bucket's 10ms, got 10ms"},
		{"      distribution: empirical\n      histogram:\n        - {le: 10ms, count: 1}\n        - {le: 20ms, count: -1}\n", "bad.yaml:16:29: services[api].serviceTime.histogram[1].count: must be in [0, 1e+15], got -1"},
		{"      distribution: empirical\n      histogram:\n        - {le: 0s, count: 1}\n", "services[api].serviceTime.histogram[0].le: must be above 0, got 0s"},
		{"      distribution: empirical\n      histogram:\n        - {le: 10ms, count: 0}\n", "services[api].serviceTime.histogram: the counts must have a positive, finite total, got 0"},
		{"      mean: 20ms\n      histogram:\n        - {le: 10ms, count: 1}\n", "services[api].serviceTime.histogram: is only read with distribution: empirical"},
	} {
		_, err := Parse("bad.yaml", []byte(strings.Replace(base, "      mean: 200ms\n      p95: 500ms\n", tc.st, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\nerror %v\nwant it to contain %q", tc.st, err, tc.want)
		}
	}
}
