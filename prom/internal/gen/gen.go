// Package gen writes synthetic Prometheus data with known parameters, as
// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`, so
// an end-to-end test can check that `headroom observe` recovers them.
//
// One workload (a Deployment of Pods pods) serves a diurnal request rate
// whose daily peak grows linearly. Each pod exports, as the common
// exporters do: client_golang's http_requests_total and
// http_request_duration_seconds histogram (log-normal service times),
// cAdvisor's container_cpu_usage_seconds_total (idle + CPU per request ×
// rate, with noise; also a container="" pod-cgroup series) and
// container_memory_working_set_bytes (base + slope × in-flight, with
// noise); kube-state-metrics exports the replica count and the HPA status.
// One pod restarts (its counters reset) and the whole scrape stops for an
// hour (a gap).
package gen

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Params are the true values behind the data.
type Params struct {
	// End is the last sample time; the data covers Days days before it.
	End    time.Time
	Days   int
	Scrape time.Duration

	Namespace, Workload, Container string
	Pods                           int

	// PeakRate is the total request rate (req/s) at the first day's
	// diurnal peak; it grows by TrendPerDay (req/s) per day.
	PeakRate    float64
	TrendPerDay float64
	// TroughFraction is the diurnal minimum as a fraction of the peak,
	// reached twelve hours from PeakHour (UTC).
	TroughFraction float64
	PeakHour       float64
	// PeakNoise is the relative standard deviation of each UTC day's
	// level around the trend, so the daily peaks scatter about their line.
	PeakNoise float64

	// CPUPerRequest is CPU seconds per request; IdleCPU cores per pod;
	// CPUNoise the relative standard deviation of each scrape interval's
	// CPU usage.
	CPUPerRequest, IdleCPU, CPUNoise float64
	// ServiceMean (seconds) and ServiceCV define log-normal service times.
	ServiceMean, ServiceCV float64
	// MemoryBase and MemoryPerInFlight in bytes; MemoryNoise the standard
	// deviation in bytes.
	MemoryBase, MemoryPerInFlight, MemoryNoise float64
	// Buckets are the histogram's finite upper bounds.
	Buckets []float64

	// ResetPod restarts (counters to 0) at ResetAt; the scrape stops from
	// GapAt for GapFor.
	ResetPod int
	ResetAt  time.Time
	GapAt    time.Time
	GapFor   time.Duration
	Seed     uint64
}

// Default returns the parameters the e2e test uses, ending at end
// (truncated to the hour).
func Default(end time.Time) Params {
	end = end.UTC().Truncate(time.Hour)
	start := end.Add(-14 * 24 * time.Hour)
	day9 := start.Truncate(24 * time.Hour).Add(9 * 24 * time.Hour)
	return Params{
		End: end, Days: 14, Scrape: time.Minute,
		Namespace: "shop", Workload: "api", Container: "api", Pods: 3,
		PeakRate: 150, TrendPerDay: 2, TroughFraction: 0.2, PeakHour: 15, PeakNoise: 0.005,
		CPUPerRequest: 0.020, IdleCPU: 0.05, CPUNoise: 0.05,
		ServiceMean: 0.080, ServiceCV: 0.8,
		MemoryBase: 200 << 20, MemoryPerInFlight: 8 << 20, MemoryNoise: 1 << 20,
		Buckets:  []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.3, 0.4, 0.5, 1, 2.5},
		ResetPod: 1, ResetAt: start.Add(5*24*time.Hour + 7*time.Hour + 30*time.Minute),
		GapAt: day9.Add(3 * time.Hour), GapFor: time.Hour,
		Seed: 1,
	}
}

// Start is the first sample time.
func (p Params) Start() time.Time { return p.End.Add(-time.Duration(p.Days) * 24 * time.Hour) }

// Rate is the true total request rate at t, req/s.
func (p Params) Rate(t time.Time) float64 {
	level := p.TrendPeak(t) * (1 + p.PeakNoise*p.dayNoise(t))
	h := float64(t.Sub(t.Truncate(24*time.Hour))) / float64(time.Hour)
	phase := 2 * math.Pi * (h - p.PeakHour) / 24
	return level * (p.TroughFraction + (1-p.TroughFraction)*(1+math.Cos(phase))/2)
}

// TrendPeak is the trend line of the daily peaks at t, without the daily
// noise: what a forecast for t should find.
func (p Params) TrendPeak(t time.Time) float64 {
	return p.PeakRate + p.TrendPerDay*t.Sub(p.Start()).Hours()/24
}

// dayNoise is a standard normal draw per UTC day, from the seed.
func (p Params) dayNoise(t time.Time) float64 {
	day := uint64(t.UTC().Truncate(24*time.Hour).Unix() / 86400)
	return clamp(rand.New(rand.NewPCG(p.Seed, day)).NormFloat64(), 3)
}

// PeakOn returns the true peak rate of the day t falls in (at PeakHour).
func (p Params) PeakOn(t time.Time) float64 {
	d := t.UTC().Truncate(24 * time.Hour)
	return p.Rate(d.Add(time.Duration(p.PeakHour * float64(time.Hour))))
}

// ServiceP95 is the true 95th percentile of the service time.
func (p Params) ServiceP95() float64 {
	mu, sigma := p.lognormal()
	return math.Exp(mu + 1.6448536269514722*sigma)
}

func (p Params) lognormal() (mu, sigma float64) {
	s2 := math.Log1p(p.ServiceCV * p.ServiceCV)
	return math.Log(p.ServiceMean) - s2/2, math.Sqrt(s2)
}

func (p Params) serviceCDF(x float64) float64 {
	mu, sigma := p.lognormal()
	return 0.5 * math.Erfc(-(math.Log(x)-mu)/(sigma*math.Sqrt2))
}

func (p Params) podName(i int) string { return fmt.Sprintf("%s-7d4b9c6f5d-x%d9kq", p.Workload, i) }

type series struct {
	family string // the metric family (TYPE line)
	name   string // the sample name
	labels string
	vals   []float64 // NaN: not scraped
}

// generate computes every series at every scrape time.
func (p Params) generate() (times []time.Time, out []*series) {
	for t := p.Start(); !t.After(p.End); t = t.Add(p.Scrape) {
		times = append(times, t)
	}
	n := len(times)
	rng := rand.New(rand.NewPCG(p.Seed, 2))
	mk := func(family, name, labels string) *series {
		s := &series{family: family, name: name, labels: labels, vals: make([]float64, n)}
		out = append(out, s)
		return s
	}
	dt := p.Scrape.Seconds()
	for i := 0; i < p.Pods; i++ {
		pod := p.podName(i)
		app := fmt.Sprintf(`namespace="%s",pod="%s",job="%s"`, p.Namespace, pod, p.Workload)
		cad := fmt.Sprintf(`namespace="%s",pod="%s",container="%s"`, p.Namespace, pod, p.Container)
		podCg := fmt.Sprintf(`namespace="%s",pod="%s",container=""`, p.Namespace, pod)
		reqs := mk("http_requests", "http_requests_total", app)
		buckets := make([]*series, len(p.Buckets)+1)
		for b, le := range p.Buckets {
			buckets[b] = mk("http_request_duration_seconds", "http_request_duration_seconds_bucket", app+`,le="`+strconv.FormatFloat(le, 'g', -1, 64)+`"`)
		}
		buckets[len(p.Buckets)] = mk("http_request_duration_seconds", "http_request_duration_seconds_bucket", app+`,le="+Inf"`)
		sum := mk("http_request_duration_seconds", "http_request_duration_seconds_sum", app)
		count := mk("http_request_duration_seconds", "http_request_duration_seconds_count", app)
		cpu := mk("container_cpu_usage_seconds", "container_cpu_usage_seconds_total", cad)
		cpuPod := mk("container_cpu_usage_seconds", "container_cpu_usage_seconds_total", podCg)
		mem := mk("container_memory_working_set_bytes", "container_memory_working_set_bytes", cad)

		var cReq, cSum, cCPU, cCPUPod float64
		cB := make([]float64, len(buckets))
		for k, t := range times {
			if k > 0 {
				if i == p.ResetPod && !times[k-1].After(p.ResetAt) && t.After(p.ResetAt) {
					cReq, cSum, cCPU, cCPUPod = 0, 0, 0, 0
					clear(cB)
				}
				mid := t.Add(-p.Scrape / 2)
				lp := p.Rate(mid) / float64(p.Pods)
				d := lp * dt
				cReq += d
				cSum += d * p.ServiceMean
				for b := range p.Buckets {
					cB[b] += d * p.serviceCDF(p.Buckets[b])
				}
				cB[len(p.Buckets)] += d
				use := (p.IdleCPU + p.CPUPerRequest*lp) * dt * (1 + p.CPUNoise*clamp(rng.NormFloat64(), 3))
				cCPU += use
				cCPUPod += use + 0.01*dt
			}
			lp := p.Rate(t) / float64(p.Pods)
			m := p.MemoryBase + p.MemoryPerInFlight*lp*p.ServiceMean + p.MemoryNoise*clamp(rng.NormFloat64(), 3)
			reqs.vals[k], sum.vals[k], count.vals[k] = cReq, cSum, cB[len(p.Buckets)]
			for b := range buckets {
				buckets[b].vals[k] = cB[b]
			}
			cpu.vals[k], cpuPod.vals[k], mem.vals[k] = cCPU, cCPUPod, math.Round(m)
		}
	}
	ksm := func(family, labels string, v float64) {
		s := mk(family, family, labels)
		for k := range s.vals {
			s.vals[k] = v
		}
	}
	ksm("kube_deployment_status_replicas", fmt.Sprintf(`namespace="%s",deployment="%s"`, p.Namespace, p.Workload), float64(p.Pods))
	ksm("kube_horizontalpodautoscaler_status_current_replicas", fmt.Sprintf(`namespace="%s",horizontalpodautoscaler="%s"`, p.Namespace, p.Workload), float64(p.Pods))
	ksm("kube_horizontalpodautoscaler_status_desired_replicas", fmt.Sprintf(`namespace="%s",horizontalpodautoscaler="%s"`, p.Namespace, p.Workload), float64(p.Pods))
	for k, t := range times {
		if !t.Before(p.GapAt) && t.Before(p.GapAt.Add(p.GapFor)) {
			for _, s := range out {
				s.vals[k] = math.NaN()
			}
		}
	}
	// A family's samples must be contiguous in OpenMetrics.
	order := map[string]int{}
	for _, s := range out {
		if _, ok := order[s.family]; !ok {
			order[s.family] = len(order)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].family] < order[out[j].family] })
	return times, out
}

func clamp(z, lim float64) float64 { return math.Max(-lim, math.Min(lim, z)) }

var familyType = map[string]string{
	"http_requests":                                        "counter",
	"http_request_duration_seconds":                        "histogram",
	"container_cpu_usage_seconds":                          "counter",
	"container_memory_working_set_bytes":                   "gauge",
	"kube_deployment_status_replicas":                      "gauge",
	"kube_horizontalpodautoscaler_status_current_replicas": "gauge",
	"kube_horizontalpodautoscaler_status_desired_replicas": "gauge",
}

// WriteOpenMetrics writes the data as one OpenMetrics file per two-hour
// block (promtool re-reads its whole input once per block, so small files
// keep the import linear) into dir, and returns the file names.
func (p Params) WriteOpenMetrics(dir string) ([]string, error) {
	times, ss := p.generate()
	const block = 2 * time.Hour
	var files []string
	for from := 0; from < len(times); {
		bstart := times[from].Truncate(block)
		to := from
		for to < len(times) && times[to].Before(bstart.Add(block)) {
			to++
		}
		name := filepath.Join(dir, fmt.Sprintf("block-%d.om", bstart.Unix()))
		if err := writeBlock(name, times[from:to], ss, from); err != nil {
			return nil, err
		}
		files = append(files, name)
		from = to
	}
	return files, nil
}

func writeBlock(name string, times []time.Time, ss []*series, off int) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	fam := ""
	for _, s := range ss {
		if s.family != fam {
			fam = s.family
			fmt.Fprintf(w, "# TYPE %s %s\n", fam, familyType[fam])
		}
		for k, t := range times {
			v := s.vals[off+k]
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(w, "%s{%s} %s %d\n", s.name, s.labels, strconv.FormatFloat(v, 'g', -1, 64), t.Unix())
		}
	}
	fmt.Fprintln(w, "# EOF")
	return w.Flush()
}
