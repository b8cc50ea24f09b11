package capacity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/simtest"
)

// sweepTestPlan is steadyPlan with an HPA, an SLO and a step in load: a grid
// over it has real trade-offs.
func sweepTestPlan(t testing.TB) *scenarios.Plan {
	p := steadyPlan(t, "40/s", "", `    hpa:
      minReplicas: 2
      maxReplicas: 20
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
    slo:
      latency: {quantile: 0.95, target: 700ms}
    startup: {containerStart: 30s, readiness: 10s}`)
	p.Scenarios[0].Duration = scenarios.Duration(time.Hour)
	p.Scenarios[0].Profile = []scenarios.Component{{Step: &scenarios.Step{At: scenarios.Duration(30 * time.Minute), Multiplier: 2}}}
	return p
}

func testGrid(t testing.TB) *SweepGrid {
	t.Helper()
	data, err := os.ReadFile("testdata/sweep/grid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseSweepGrid("grid.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSweep_ShardsMergeToTheWhole: four shards, merged in a scrambled
// order after a JSON round trip (as files), give the unsharded sweep's
// bytes; the whole agrees with tune's evaluation of the same candidates.
func TestSweep_ShardsMergeToTheWhole(t *testing.T) {
	p, g := sweepTestPlan(t), testGrid(t)
	ctx := context.Background()
	whole, err := SweepAll(ctx, p, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Candidates != 26 { // 2 CPU requests × (today's HPA + 3×2×2)
		t.Fatalf("%d candidates, want 26", whole.Candidates)
	}
	var shards []*SweepShard
	for _, i := range []int{2, 0, 3, 1} {
		s, err := Sweep(ctx, p, g, Shard{Index: i, Count: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var back SweepShard
		if err := json.Unmarshal(marshal(t, s), &back); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, &back)
	}
	merged, err := MergeSweep(shards)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := marshal(t, whole), marshal(t, merged); !bytes.Equal(a, b) {
		t.Fatalf("merged shards differ from the unsharded sweep:\n%s\n---\n%s", a, b)
	}
	// The CPU request changes cost and the HPA's view: the two halves of
	// the grid must differ, and the first candidate is today's HPA.
	r := whole.Results
	if r[0].CPURequest != "1" || r[13].CPURequest != "1500m" || r[0].CPUTarget != 50 || r[0].MaxReplicas != 20 {
		t.Errorf("grid order: %+v / %+v", r[0].SweepSetting, r[13].SweepSetting)
	}
	if r[0].Point.Cost == r[13].Point.Cost {
		t.Errorf("a 1.5× CPU request costs the same: %g", r[0].Point.Cost)
	}
	for _, c := range merged.Pareto {
		for _, o := range merged.Results {
			if o.Point.Cost < c.Point.Cost && o.Point.WorstBurn < c.Point.WorstBurn {
				t.Errorf("front member %d is dominated by %d", c.Index, o.Index)
			}
		}
	}
	if b := merged.Best; b != nil {
		for _, o := range merged.Results {
			if o.Point.Meets && o.Point.NeverWorse && !sameCost(o.Point.Cost, b.Point.Cost) && o.Point.Cost < b.Point.Cost {
				t.Errorf("best %d costs %g, cell %d holds the SLO for %g", b.Index, b.Point.Cost, o.Index, o.Point.Cost)
			}
		}
		if merged.Met != (b.Point.Meets && b.Point.NeverWorse) {
			t.Errorf("met %v for best %+v", merged.Met, b.Point)
		}
	}
}

func TestMergeSweep_Errors(t *testing.T) {
	p, g := sweepTestPlan(t), testGrid(t)
	g.HPA = TuneGrid{CPUTargets: []int32{40, 60}}
	g.Resources = ResourceGrid{}
	ctx := context.Background()
	var s [3]*SweepShard
	for i := range s {
		var err error
		if s[i], err = Sweep(ctx, p, g, Shard{Index: i, Count: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	other := *s[2]
	other.Digest = "sha256:other"
	moved := *s[1]
	moved.Results = append([]SweepCandidate(nil), s[1].Results...)
	moved.Results[0].Index = 0
	moved.ResultsDigest, _ = moved.resultsDigest() // a forger who recomputes it
	edited := *s[1]
	edited.Results = append([]SweepCandidate(nil), s[1].Results...)
	edited.Results[0].Point.Cost /= 2
	old := *s[1]
	old.ResultsDigest = ""
	renumbered := *s[1]
	renumbered.Total++
	v1 := *s[1]
	v1.SchemaVersion = "headroom.dev/sweep-shard/v1"
	v1.ResultsDigest, _ = v1.resultsDigest()
	v2 := *s[1]
	v2.SchemaVersion = "headroom.dev/sweep-shard/v2"
	v2.ResultsDigest, _ = v2.resultsDigest()
	for _, tt := range []struct {
		name   string
		shards []*SweepShard
		want   string
	}{
		{"none", nil, "no shards"},
		{"missing", []*SweepShard{s[0], s[2]}, "missing shard(s) [1] of 3"},
		{"twice", []*SweepShard{s[0], s[1], s[1], s[2]}, "given twice"},
		{"other sweep", []*SweepShard{s[0], s[1], &other}, "different sweeps"},
		{"wrong shard's candidate", []*SweepShard{s[0], &moved, s[2]}, "belongs to shard 0"},
		{"edited results", []*SweepShard{s[0], &edited, s[2]}, "shard 1/3: its contents do not match its resultsDigest"},
		{"edited header", []*SweepShard{&renumbered}, "its contents do not match its resultsDigest"},
		{"no results digest", []*SweepShard{s[0], &old, s[2]}, "shard 1/3 has no resultsDigest"},
		{"cold-start v1 shard", []*SweepShard{s[0], &v1, s[2]}, "whose runs started cold"},
		{"tune-evaluated v2 shard", []*SweepShard{s[0], &v2, s[2]}, "summed tune's measures"},
		{"forged", []*SweepShard{{SchemaVersion: SweepShardSchema, Shards: -1}}, "is not a sweep"},
		{"empty", []*SweepShard{{SchemaVersion: SweepShardSchema, Shards: 1}}, "is not a sweep"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeSweep(tt.shards)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseSweepGrid_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"unknown field", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nhpa:\n  cpuTarget: [50]\n",
			"g.yaml:5:3: hpa.cpuTarget: unknown field"},
		{"wrong type", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nhpa:\n  minReplicas: [two]\n",
			"g.yaml:5:17: hpa.minReplicas[0]"},
		{"out of range", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nhpa:\n  scaleDownWindows: [60, 7200]\n",
			"g.yaml:5:26: hpa.scaleDownWindows[1]: 7200 is out of range"},
		{"duplicate", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nhpa:\n  cpuTargets: [50, 50]\n",
			"g.yaml:5:20: hpa.cpuTargets[1]: 50 is listed twice"},
		{"limit below request", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nresources:\n  cpuRequests: [\"2\"]\n  cpuLimits: [\"1\"]\n",
			"g.yaml:6:15: resources.cpuLimits[0]: 1 is below the CPU request 2"},
		{"bad quantity", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nresources:\n  memoryRequests: [lots]\n",
			"g.yaml:5:20: resources.memoryRequests[0]"},
		{"kind", "apiVersion: headroom.dev/v1alpha1\nkind: CapacityPlan\nservice: api\n", "g.yaml:2:7: kind: must be SweepGrid"},
		{"no service", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\n", "service: is required"},
		{"mode", "apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: api\nmode: exact\n", "g.yaml:4:7: mode: unknown mode"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSweepGrid("g.yaml", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant one containing %q", err, tt.want)
			}
		})
	}
}

func TestResolveSweep_PlanErrors(t *testing.T) {
	p := sweepTestPlan(t)
	for _, tt := range []struct {
		name string
		grid SweepGrid
		want string
	}{
		{"service", SweepGrid{Service: "web"}, `grid service "web": the plan has no such service`},
		{"scenario", SweepGrid{Service: "api", Scenarios: []string{"peak"}}, `grid scenario "peak"`},
		{"min above max", SweepGrid{Service: "api", HPA: TuneGrid{MinReplicas: []int32{30}}}, "above service api's maxReplicas 20"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SweepSize(p, &tt.grid); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/4", Shard{3, 4}, ""},
		{"007/10", Shard{7, 10}, ""},
		{"4/4", Shard{}, "index 4 must be below the count 4"},
		{"0/0", Shard{}, "count 0 must be in [1, 100000]"},
		{"1", Shard{}, "has no '/'"},
		{"-1/4", Shard{}, `index "-1" is not a number`},
		{"1/+4", Shard{}, `count "+4" is not a number`},
		{"1/ 4", Shard{}, "is not a number"},
		{"1/4/5", Shard{}, "is not a number"},
		{"", Shard{}, "has no '/'"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrShardSyntax) {
				t.Errorf("ParseShard(%q) error %v, want one containing %q", tt.in, err, tt.err)
			}
		})
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "99999/100000", "1/", "/", "a/b", "0/0", "1//2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			return
		}
		if sh.Count < 1 || sh.Count > maxShards || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %v accepted", s, sh)
		}
		if back, err := ParseShard(sh.String()); err != nil || back != sh {
			t.Fatalf("round trip of %v: %v, %v", sh, back, err)
		}
	})
}

func FuzzParseSweepGrid(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/sweep/*.yaml")
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: a\nhpa: {cpuTargets: [1, 1000]}\n"))
	f.Add([]byte("kind: SweepGrid\nresources: {cpuRequests: [1e3, -1], cpuLimits: [0.5]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseSweepGrid("f.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		// An accepted grid is valid and its size bounded.
		if errs := g.validate(); len(errs) > 0 {
			t.Fatalf("accepted grid fails validation: %v", errs)
		}
		if g.size() > maxSweepCandidates {
			t.Fatalf("accepted a grid of %d", g.size())
		}
	})
}

// FuzzMergeSweep: shard files are read from wherever a cluster left them;
// no content may crash the merge.
func FuzzMergeSweep(f *testing.F) {
	p, g := sweepTestPlan(f), testGrid(f)
	g.HPA, g.Resources = TuneGrid{CPUTargets: []int32{40}}, ResourceGrid{}
	for _, sh := range []Shard{{0, 1}, {0, 2}, {1, 2}} {
		s, err := Sweep(context.Background(), p, g, sh, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(marshal(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s SweepShard
		if json.Unmarshal(data, &s) != nil {
			return
		}
		if r, err := MergeSweep([]*SweepShard{&s, &s}); err == nil {
			t.Fatalf("a shard given twice merged: %+v", r)
		}
		r, err := MergeSweep([]*SweepShard{&s})
		if err != nil {
			return
		}
		if len(r.Results) != r.Candidates || len(r.Pareto) == 0 {
			t.Fatalf("merged %d results of %d, front %d", len(r.Results), r.Candidates, len(r.Pareto))
		}
	})
}

// TestSweep_DESMode: a DES sweep is as deterministic per candidate as a
// fluid one, so its shards merge to the whole too.
func TestSweep_DESMode(t *testing.T) {
	p, g := sweepTestPlan(t), testGrid(t)
	g.Mode, g.HPA, g.Resources = sim.ModeDES, TuneGrid{CPUTargets: []int32{40, 80}}, ResourceGrid{}
	ctx := context.Background()
	whole, err := SweepAll(ctx, p, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	var shards []*SweepShard
	for _, i := range []int{1, 0} {
		s, err := Sweep(ctx, p, g, Shard{Index: i, Count: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	merged, err := MergeSweep(shards)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, whole), marshal(t, merged)) || whole.Mode != sim.ModeDES || whole.Candidates != 3 {
		t.Fatalf("DES sweep: %d candidates, mode %s; merged equal: %v", whole.Candidates, whole.Mode, bytes.Equal(marshal(t, whole), marshal(t, merged)))
	}
}

// BenchmarkSweep200x7Days: 200 grid cells of one service's HPA, each a
// 7-day diurnal run evaluated as the recommender evaluates (the point
// estimate and the margin's four variants: five runs per cell). Run it
// alone:
//
//	go test ./capacity -run '^$' -bench Sweep200 -benchtime 1x
func BenchmarkSweep200x7Days(b *testing.B) {
	p := simtest.DiurnalPlan(b, 7)
	g := &SweepGrid{Service: "api", HPA: TuneGrid{
		CPUTargets:     []int32{40, 45, 50, 55, 60, 65, 70, 75, 80, 85},
		MinReplicas:    []int32{1, 2, 3, 4, 5},
		ScaleUpWindows: []int32{0, 60, 120, 180},
	}}
	for b.Loop() {
		r, err := SweepAll(context.Background(), p, g, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r.Candidates < 200 {
			b.Fatalf("%d candidates", r.Candidates)
		}
	}
}
