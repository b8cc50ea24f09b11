package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/headroom-dev/headroom/sim"
)

// family is an OpenMetrics metric family and its series, in creation order.
type family struct {
	name, typ string
	series    []*omSeries
	index     map[string]*omSeries
}

type omSeries struct {
	name, labels string
	ts           []time.Time
	vals         []float64
}

// families keeps the order families were first written in.
var familyOrder []string

func (w *world) add(fam, typ, name, labels string, t time.Time, v float64) {
	f, ok := w.series[fam]
	if !ok {
		f = &family{name: fam, typ: typ, index: map[string]*omSeries{}}
		w.series[fam] = f
		familyOrder = append(familyOrder, fam)
	}
	key := name + "{" + labels + "}"
	s, ok := f.index[key]
	if !ok {
		s = &omSeries{name: name, labels: labels}
		f.index[key] = s
		f.series = append(f.series, s)
	}
	if n := len(s.ts); n > 0 && !t.After(s.ts[n-1]) {
		t = s.ts[n-1].Add(time.Millisecond)
	}
	s.ts = append(s.ts, t)
	s.vals = append(s.vals, v)
}

func (w *world) jitter(t time.Time) time.Time {
	return t.Add(time.Duration((w.rng.Float64()*6 - 3) * float64(time.Second))).Truncate(time.Millisecond)
}

// scrape records every target's samples at t.
func (w *world) scrape(t time.Time, s sim.Sample, serving []*pod) {
	ns, wl, ctr := w.svc.Namespace, w.svc.WorkloadRef.Name, w.svc.Container
	for _, p := range serving {
		if w.rng.Float64() < 0.01 {
			continue // a missed scrape
		}
		at := w.jitter(t)
		app := fmt.Sprintf(`namespace="%s",pod="%s"`, ns, p.name)
		w.add("http_requests", "counter", "http_requests_total", app+`,code="200"`, at, p.reqs)
		w.add("http_requests", "counter", "http_requests_total", app+`,code="500"`, at, p.errs)
		for b, le := range buckets {
			w.add("http_request_duration_seconds", "histogram", "http_request_duration_seconds_bucket", app+`,le="`+strconv.FormatFloat(le, 'g', -1, 64)+`"`, at, p.bucket[b])
		}
		w.add("http_request_duration_seconds", "histogram", "http_request_duration_seconds_bucket", app+`,le="+Inf"`, at, p.bucket[len(buckets)])
		w.add("http_request_duration_seconds", "histogram", "http_request_duration_seconds_sum", app, at, p.sum)
		w.add("http_request_duration_seconds", "histogram", "http_request_duration_seconds_count", app, at, p.bucket[len(buckets)])
		cad := fmt.Sprintf(`namespace="%s",pod="%s",container="%s"`, ns, p.name, ctr)
		w.add("container_cpu_usage_seconds", "counter", "container_cpu_usage_seconds_total", cad, w.jitter(t), p.cpu)
		w.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", cad, at, 256<<20)
	}
	if !t.Before(w.gapFrom) && t.Before(w.gapTo) {
		return // kube-state-metrics is down
	}
	at := w.jitter(t)
	dep := fmt.Sprintf(`namespace="%s",deployment="%s"`, ns, wl)
	hpa := fmt.Sprintf(`namespace="%s",horizontalpodautoscaler="%s"`, ns, wl)
	w.add("kube_deployment_status_replicas", "gauge", "kube_deployment_status_replicas", dep, at, float64(len(w.live)))
	w.add("kube_deployment_status_replicas_ready", "gauge", "kube_deployment_status_replicas_ready", dep, at, float64(len(serving)))
	w.add("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "kube_horizontalpodautoscaler_status_current_replicas", hpa, at, float64(len(w.live)))
	w.add("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "kube_horizontalpodautoscaler_status_desired_replicas", hpa, at, float64(s.Desired))
	for _, p := range w.live {
		lbl := fmt.Sprintf(`namespace="%s",pod="%s",uid="%s"`, ns, p.name, p.name)
		w.add("kube_pod_created", "gauge", "kube_pod_created", lbl, at, float64(p.created.Unix()))
		if !p.ready.After(t) {
			w.add("kube_pod_status_ready_time", "gauge", "kube_pod_status_ready_time", lbl, at, float64(p.ready.Unix()))
		}
	}
}

// write writes one OpenMetrics file per two-hour block (promtool re-reads
// its whole input once per block, so small files keep the import linear).
func (w *world) write(dir string) error {
	const block = 2 * time.Hour
	var lo, hi time.Time
	for _, f := range w.series {
		for _, s := range f.series {
			if lo.IsZero() || s.ts[0].Before(lo) {
				lo = s.ts[0]
			}
			if l := s.ts[len(s.ts)-1]; l.After(hi) {
				hi = l
			}
		}
	}
	for b := lo.Truncate(block); !b.After(hi); b = b.Add(block) {
		if err := w.writeBlock(filepath.Join(dir, fmt.Sprintf("block-%d.om", b.Unix())), b, b.Add(block)); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) writeBlock(name string, from, to time.Time) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	for _, fn := range familyOrder {
		fam := w.series[fn]
		fmt.Fprintf(bw, "# TYPE %s %s\n", fam.name, fam.typ)
		for _, s := range fam.series {
			for i, t := range s.ts {
				if t.Before(from) || !t.Before(to) {
					continue
				}
				fmt.Fprintf(bw, "%s{%s} %s %.3f\n", s.name, s.labels, strconv.FormatFloat(s.vals[i], 'g', -1, 64), float64(t.UnixMilli())/1000)
			}
		}
	}
	fmt.Fprintln(bw, "# EOF")
	return bw.Flush()
}
