package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestCohort_BitIdentical runs each plan twice in lockstep, once with the
// steady cohort (cohort.go) and once with every pod writing its rings
// every tick, and requires the same bits everywhere the cohort could
// differ: after every tick each pod's running sums, window length, last
// CPU, memory and requests in flight, and metrics-server sample; at the
// end the whole Result. The plans cover overload (every member leaves),
// scale-ups (pods joining late) and -downs (members deleted), custom
// metrics read from the pods' last values, and a metrics window longer
// than the cohort's sync gap, so members replay their own ring entries
// across several syncs.
func TestCohort_BitIdentical(t *testing.T) {
	noa := noaPlan(t, nil)
	wide := noaPlan(t, func(p *scenarios.Plan) {
		p.Simulation.MetricsWindow = scenarios.Duration(150 * time.Second)
		p.Simulation.MetricsResolution = scenarios.Duration(5 * time.Minute)
	})
	custom := SteadyPlanForCohort(t)
	cases := []namedPlan{{"noa", noa}, {"noa-wide-window", wide}, {"custom-sources", custom}}
	for _, c := range cases {
		for _, sc := range c.plan.Scenarios {
			t.Run(c.name+"/"+sc.Name, func(t *testing.T) {
				ref, got := worldPair(t, c.plan, sc.Name)
				for _, s := range ref.services {
					s.fluid.cohort.off = true
				}
				members, left := 0, 0
				was := map[*pod]bool{}
				for ref.now < ref.end {
					ref.Tick()
					got.Tick()
					// The sums are compared every 509 ticks, so members
					// replay many ticks at once, across scrapes and the
					// forced syncs of a long resolution.
					sums := got.step%509 == 0
					for j, s := range got.services {
						if sums {
							s.fluid.cohort.syncAll(s.pods, got.step+1)
						}
						members += s.fluid.cohort.n
						for _, p := range s.pods {
							if was[p] && !p.cohort {
								left++
							}
							was[p] = p.cohort
						}
						if msg := samePods(ref.services[j], s, sums); msg != "" {
							t.Fatalf("t=%s %s: %s", got.now, s.spec.Name, msg)
						}
					}
				}
				if members == 0 {
					t.Fatal("no pod was ever in the steady cohort")
				}
				t.Logf("%d member-ticks, %d leaves", members, left)
				requireSameResult(t, ref, got)
			})
		}
	}
}

// namedPlan is a plan of a lockstep test, named for its subtests.
type namedPlan struct {
	name string
	plan *scenarios.Plan
}

// noaPlan is the bundled example, changed by edit when not nil.
func noaPlan(t *testing.T, edit func(*scenarios.Plan)) *scenarios.Plan {
	t.Helper()
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	return p
}

// worldPair is two worlds of the same plan and scenario, to run in
// lockstep: a reference and the one under test.
func worldPair(t *testing.T, plan *scenarios.Plan, scenario string) (ref, got *World) {
	t.Helper()
	opts := Options{Scenario: scenario, Traffic: NewTrafficCache()}
	ref, err := New(plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err = New(plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ref, got
}

// requireSameResult fails unless the two worlds' Results encode alike.
func requireSameResult(t *testing.T, ref, got *World) {
	t.Helper()
	a, _ := json.Marshal(ref.result())
	b, _ := json.Marshal(got.result())
	if !bytes.Equal(a, b) {
		t.Fatal("results differ")
	}
}

// samePods compares the pods of a service run without the cohort (ref)
// and with it, bit for bit, with the running sums when sums (got's synced);
// "" when they agree.
func samePods(ref, got *service, sums bool) string {
	if len(ref.pods) != len(got.pods) {
		return "pod counts differ"
	}
	bitsEq := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for i, r := range ref.pods {
		g := got.pods[i]
		rf, rc, rm := ref.last(r)
		gf, gc, gm := got.last(g)
		switch {
		case r.id != g.id || r.phase != g.phase:
			return "pods differ"
		case sums && (!bitsEq(r.cpuSum, g.cpuSum) || !bitsEq(r.memSum, g.memSum)):
			return fmt.Sprintf("running sums differ: pod %d cohort %v from %d synced %d: cpu %v vs %v, mem %v vs %v", i, g.cohort, g.cohortFrom, g.syncedTo, r.cpuSum, g.cpuSum, r.memSum, g.memSum)
		case sums && r.window() != g.window():
			return "windows differ"
		case !bitsEq(rf, gf) || !bitsEq(rc, gc) || !bitsEq(rm, gm):
			return "last values differ"
		case r.hasSample != g.hasSample || r.sampleAt != g.sampleAt || !bitsEq(r.sampleCPU, g.sampleCPU) || !bitsEq(r.sampleMem, g.sampleMem):
			return "samples differ"
		}
		if !g.cohort {
			for k := range r.cpuRing {
				if !bitsEq(r.cpuRing[k], g.cpuRing[k]) || !bitsEq(r.memRing[k], g.memRing[k]) {
					return "rings differ"
				}
			}
			if r.ringPos != g.ringPos {
				return "ring positions differ"
			}
		}
	}
	return ""
}

// SteadyPlanForCohort is a service scaled on custom metrics that read
// every Ready pod's last CPU, memory and requests in flight, under a
// diurnal cycle with a spike past capacity.
func SteadyPlanForCohort(t *testing.T) *scenarios.Plan {
	p, err := scenarios.Parse("cohort.yaml", []byte(`apiVersion: headroom.dev/v1alpha1
kind: CapacityPlan
metadata: {name: cohort}
services:
  - name: api
    replicas: 4
    resources:
      requests: {cpu: "1", memory: 1Gi}
    requestRate: 40/s
    serviceTime: {mean: 200ms, cv: 1.5}
    concurrency: 4
    cpu: {perRequest: 50ms}
    memory: {base: 256Mi, perInFlight: 1Mi}
    hpa:
      minReplicas: 2
      maxReplicas: 20
      metrics:
        - type: Pods
          pods:
            metric: {name: in_flight}
            target: {type: AverageValue, averageValue: "2"}
        - type: Object
          object:
            describedObject: {apiVersion: v1, kind: Service, name: api}
            metric: {name: cpu_total}
            target: {type: Value, value: "3"}
        - type: External
          external:
            metric: {name: mem_total}
            target: {type: Value, value: 8Gi}
    metricSources:
      - {name: in_flight, source: inFlight, lag: 30s}
      - {name: cpu_total, source: cpu, lag: 15s}
      - {name: mem_total, source: memory}
scenarios:
  - name: day
    duration: 26h
    profile:
      - diurnal: {min: 0.3, max: 1.2, peak: "15:00"}
      - spike: {at: 14h, rise: 1m, hold: 10m, fall: 5m, multiplier: 4}
cluster:
  nodeTypes:
    - {name: n, allocatable: {cpu: "16", memory: 64Gi}, pricePerHour: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLatencyTable_Interpolate holds the lookup that reads the grid's
// stored differences to the arithmetic it replaced, lo + (hi − lo)·f on
// the two neighbouring grid points, bit for bit at a sweep of loads.
func TestLatencyTable_Interpolate(t *testing.T) {
	p := SteadyPlanForCohort(t)
	w, err := New(p, Options{Scenario: "day"})
	if err != nil {
		t.Fatal(err)
	}
	lat := w.services[0].fluid.lat
	g, ax := lat.grid, latencyAxis
	for k := 0; k <= 100000; k++ {
		rho := float64(k) / 100000 * 1.01
		got := lat.at(rho)
		var want point
		switch n := len(g) - 1; {
		case rho <= 0:
			want = g[0].point
		case !(rho < ax.rho[n]):
			want = g[n].point
		default:
			i := 0
			for ax.rho[i+1] <= rho {
				i++
			}
			lo, hi := &g[i], &g[i+1]
			f := (rho - ax.rho[i]) * ax.invStep[i]
			for j := range want.row {
				want.row[j] = lo.row[j] + (hi.row[j]-lo.row[j])*f
			}
			want.meanWait = lo.meanWait + (hi.meanWait-lo.meanWait)*f
			want.delayProb = lo.delayProb + (hi.delayProb-lo.delayProb)*f
			want.timedOut = lo.timedOut + (hi.timedOut-lo.timedOut)*f
			want.slow = lo.slow + (hi.slow-lo.slow)*f
		}
		if got != want {
			t.Fatalf("ρ=%v: %+v, want %+v", rho, got, want)
		}
	}
}
