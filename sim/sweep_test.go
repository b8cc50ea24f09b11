package sim

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

	"sigs.k8s.io/yaml"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/scenarios"
)

// sweepPlan is steadyPlan with an HPA, an SLO and a step in load: a grid
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
	if r[0].CPURequest != "1" || r[13].CPURequest != "1500m" || r[0].CPUTarget != 50 {
		t.Errorf("grid order: %+v / %+v", r[0].Candidate, r[13].Candidate)
	}
	if r[0].Cost == r[13].Cost {
		t.Errorf("a 1.5× CPU request costs the same: %g", r[0].Cost)
	}
	// Same evaluation as tune: today's HPA at today's resources.
	tr, err := Tune(ctx, p, "api", TuneGrid{CPUTargets: []int32{40}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Current.Cost != r[0].Cost || tr.Current.SLOViolationMinutes != r[0].SLOViolationMinutes {
		t.Errorf("tune's current %+v, sweep's candidate 0 %+v", tr.Current, r[0].Candidate)
	}
	for _, c := range merged.Pareto {
		for _, o := range merged.Results {
			if o.Cost < c.Cost && o.SLOViolationMinutes < c.SLOViolationMinutes {
				t.Errorf("front member %d is dominated by %d", c.Index, o.Index)
			}
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

func FuzzParseServiceHistogram(f *testing.F) {
	if b, err := os.ReadFile("testdata/sweep/histogram.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("# le,count\n100ms,10\n250ms,30\n1s,5\n"))
	f.Add([]byte("0.1,1\n0.1,2\n"))
	f.Add([]byte("1e308,1\nInf,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseServiceHistogram("h.csv", data)
		if err != nil {
			return
		}
		s, err := newEmpirical(b)
		if err != nil {
			t.Fatalf("accepted histogram rejected by the sampler: %v", err)
		}
		if m := s.mean(); !(m > 0) || m > b[len(b)-1].UpperSeconds {
			t.Fatalf("mean %g outside (0, %g]", m, b[len(b)-1].UpperSeconds)
		}
	})
}

// TestRenderSweepJob decodes the rendered YAML into the typed objects and
// checks what makes the Job run the sweep.
func TestRenderSweepJob(t *testing.T) {
	plan, grid := []byte("kind: CapacityPlan\n"), []byte("kind: SweepGrid\n")
	j, err := RenderSweepJob(SweepJobOptions{Name: "capacity-q3", Namespace: "tools", Image: "ghcr.io/headroom-dev/headroom:v1",
		Shards: 8, Parallelism: 3, PlanFile: plan, GridFile: grid})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(j.YAML), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d YAML documents, want 2", len(docs))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatal(err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "capacity-q3-input" || cm.Namespace != "tools" {
		t.Errorf("ConfigMap meta %+v %+v", cm.TypeMeta, cm.ObjectMeta)
	}
	if cm.Data["plan.yaml"] != string(plan) || cm.Data["grid.yaml"] != string(grid) {
		t.Errorf("ConfigMap data %v", cm.Data)
	}
	s := job.Spec
	if job.Kind != "Job" || job.APIVersion != "batch/v1" || job.Name != "capacity-q3" || job.Namespace != "tools" {
		t.Errorf("Job meta %+v %+v", job.TypeMeta, job.ObjectMeta)
	}
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 8 || *s.Parallelism != 3 {
		t.Errorf("completion mode %v, completions %v, parallelism %v", s.CompletionMode, s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 2 {
		t.Errorf("backoffLimitPerIndex %v", s.BackoffLimitPerIndex)
	}
	ps := s.Template.Spec
	if ps.RestartPolicy != corev1.RestartPolicyNever || len(ps.Containers) != 1 {
		t.Fatalf("pod spec %+v", ps)
	}
	c := ps.Containers[0]
	wantArgs := []string{"sweep", "-f", "/etc/headroom/plan.yaml", "--grid", "/etc/headroom/grid.yaml", "--shard", "$(SHARD_INDEX)/8", "-o", "-", "--quiet"}
	if strings.Join(c.Args, " ") != strings.Join(wantArgs, " ") || c.Image != "ghcr.io/headroom-dev/headroom:v1" {
		t.Errorf("container %s %q", c.Image, c.Args)
	}
	if len(c.Env) != 2 || c.Env[0].Name != "SHARD_INDEX" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.FieldRef == nil ||
		c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("env %+v", c.Env)
	} else if r := c.Env[1].ValueFrom.ResourceFieldRef; c.Env[1].Name != "GOMAXPROCS" || r == nil || r.Resource != "requests.cpu" || r.ContainerName != c.Name {
		t.Errorf("GOMAXPROCS env %+v", c.Env[1])
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].ConfigMap == nil || ps.Volumes[0].ConfigMap.Name != cm.Name ||
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != ps.Volumes[0].Name || c.VolumeMounts[0].MountPath != "/etc/headroom" {
		t.Errorf("volumes %+v mounts %+v", ps.Volumes, c.VolumeMounts)
	}
	if c.Resources.Requests.Cpu().String() != "1" || c.Resources.Limits.Memory().String() != "1Gi" {
		t.Errorf("resources %+v", c.Resources)
	}
	// The typed objects and the YAML say the same.
	if cm.Name != j.ConfigMap.Name || *job.Spec.Completions != *j.Job.Spec.Completions {
		t.Errorf("typed objects and YAML differ")
	}
	// Deterministic.
	j2, _ := RenderSweepJob(SweepJobOptions{Name: "capacity-q3", Namespace: "tools", Image: "ghcr.io/headroom-dev/headroom:v1",
		Shards: 8, Parallelism: 3, PlanFile: plan, GridFile: grid})
	if !bytes.Equal(j.YAML, j2.YAML) {
		t.Error("two renderings differ")
	}
}

func TestRenderSweepJob_Errors(t *testing.T) {
	ok := SweepJobOptions{Name: "s", Image: "i", Shards: 2}
	for _, tt := range []struct {
		name string
		edit func(*SweepJobOptions)
		want string
	}{
		{"name", func(o *SweepJobOptions) { o.Name = "Sweep_1" }, `name "Sweep_1" must be a DNS-1123 label`},
		{"image", func(o *SweepJobOptions) { o.Image = " " }, "image is required"},
		{"shards", func(o *SweepJobOptions) { o.Shards = 0 }, "shards 0 must be in"},
		{"parallelism", func(o *SweepJobOptions) { o.Parallelism = 3 }, "parallelism 3 must be in [1, shards 2]"},
		{"size", func(o *SweepJobOptions) { o.PlanFile = make([]byte, 1<<20) }, "a ConfigMap holds at most 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			if _, err := RenderSweepJob(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
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
	g.Mode, g.HPA, g.Resources = ModeDES, TuneGrid{CPUTargets: []int32{40, 80}}, ResourceGrid{}
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
	if !bytes.Equal(marshal(t, whole), marshal(t, merged)) || whole.Mode != ModeDES || whole.Candidates != 3 {
		t.Fatalf("DES sweep: %d candidates, mode %s; merged equal: %v", whole.Candidates, whole.Mode, bytes.Equal(marshal(t, whole), marshal(t, merged)))
	}
}
