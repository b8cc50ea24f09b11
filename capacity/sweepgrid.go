package capacity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/internal/strictyaml"
	"github.com/headroom-dev/headroom/sim"
)

// SweepGrid is a sweep's grid file: the settings to try for one service.
// Every combination of the resource lists and the HPA lists is a
// candidate; an empty list keeps the plan's value.
//
//	apiVersion: headroom.dev/v1alpha1
//	kind: SweepGrid
//	service: noa-mcp
//	scenarios: [daily, event-spike]   # default: every scenario covering it
//	mode: fluid                       # or des
//	hpa:
//	  cpuTargets: [50, 60, 70]
//	  minReplicas: [2, 3]
//	  maxReplicas: [10, 20]
//	  scaleUpWindows: [0, 60]
//	  scaleDownWindows: [300, 600]
//	  scaleUpPercents: [100, 200]
//	resources:
//	  cpuRequests: [500m, "1"]
//	  cpuLimits: ["1"]
//	  memoryRequests: [512Mi]
type SweepGrid struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Service    string   `json:"service"`
	Scenarios  []string `json:"scenarios,omitempty"`
	Mode       sim.Mode `json:"mode,omitempty"`
	// HPA are the HPA settings, as tune varies them.
	HPA TuneGrid `json:"hpa"`
	// Resources are the serving container's requests and limits.
	Resources ResourceGrid `json:"resources"`
}

// ResourceGrid lists container resources to try.
type ResourceGrid struct {
	CPURequests    []resource.Quantity `json:"cpuRequests,omitempty"`
	CPULimits      []resource.Quantity `json:"cpuLimits,omitempty"`
	MemoryRequests []resource.Quantity `json:"memoryRequests,omitempty"`
}

// Grid file identity.
const (
	SweepGridAPIVersion = "headroom.dev/v1alpha1"
	SweepGridKind       = "SweepGrid"
)

// maxSweepCandidates bounds a grid: beyond it a sweep is a mistake more
// often than a plan.
const maxSweepCandidates = 10_000_000

// ParseSweepGrid decodes and checks a grid file strictly: unknown fields,
// wrong types and bad values are errors carrying file:line:column and the
// field path (strictyaml.FieldErrors).
func ParseSweepGrid(file string, data []byte) (*SweepGrid, error) {
	var g SweepGrid
	ix, err := strictyaml.Decode(file, data, &g)
	if err != nil {
		return nil, err
	}
	if errs := g.validate(); len(errs) > 0 {
		located := ix.Locate(errs)
		for _, e := range located {
			e.File = file
		}
		return nil, located
	}
	return &g, nil
}

func (g *SweepGrid) validate() strictyaml.FieldErrors {
	var errs strictyaml.FieldErrors
	add := func(path, format string, args ...any) {
		errs = append(errs, &strictyaml.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if g.APIVersion != SweepGridAPIVersion {
		add("apiVersion", "must be %s, got %q", SweepGridAPIVersion, g.APIVersion)
	}
	if g.Kind != SweepGridKind {
		add("kind", "must be %s, got %q", SweepGridKind, g.Kind)
	}
	if g.Service == "" {
		add("service", "is required: the service whose settings the sweep varies")
	}
	if _, err := sim.ParseMode(string(g.Mode)); err != nil {
		add("mode", "%v", err)
	}
	seen := map[string]bool{}
	for i, s := range g.Scenarios {
		if s == "" {
			add(fmt.Sprintf("scenarios[%d]", i), "is empty")
		} else if seen[s] {
			add(fmt.Sprintf("scenarios[%d]", i), "%q is listed twice", s)
		}
		seen[s] = true
	}
	ints := func(path string, xs []int32, lo, hi int32, what string) {
		seen := map[int32]bool{}
		for i, x := range xs {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case x < lo || x > hi:
				add(p, "%d is out of range: %s must be in [%d, %d]", x, what, lo, hi)
			case seen[x]:
				add(p, "%d is listed twice", x)
			}
			seen[x] = true
		}
	}
	ints("hpa.cpuTargets", g.HPA.CPUTargets, 1, 1000, "a CPU averageUtilization target (percent)")
	ints("hpa.minReplicas", g.HPA.MinReplicas, 1, 100000, "minReplicas")
	ints("hpa.maxReplicas", g.HPA.MaxReplicas, 1, 100000, "maxReplicas")
	// The API server's bound on stabilizationWindowSeconds is one hour.
	ints("hpa.scaleUpWindows", g.HPA.ScaleUpWindows, 0, 3600, "a stabilisation window (seconds)")
	ints("hpa.scaleDownWindows", g.HPA.ScaleDownWindows, 0, 3600, "a stabilisation window (seconds)")
	ints("hpa.scaleUpPercents", g.HPA.ScaleUpPercents, 1, 100000, "a Percent policy value")
	qs := func(path string, xs []resource.Quantity) {
		seen := map[int64]bool{}
		for i, q := range xs {
			p := fmt.Sprintf("%s[%d]", path, i)
			v := q.MilliValue()
			switch {
			case q.Sign() <= 0:
				add(p, "%s must be positive", q.String())
			case seen[v]:
				add(p, "%s is listed twice", q.String())
			}
			seen[v] = true
		}
	}
	qs("resources.cpuRequests", g.Resources.CPURequests)
	qs("resources.cpuLimits", g.Resources.CPULimits)
	qs("resources.memoryRequests", g.Resources.MemoryRequests)
	for i, l := range g.Resources.CPULimits {
		for _, r := range g.Resources.CPURequests {
			if l.Cmp(r) < 0 {
				add(fmt.Sprintf("resources.cpuLimits[%d]", i), "%s is below the CPU request %s; Kubernetes rejects a limit below the request", l.String(), r.String())
				break
			}
		}
	}
	if len(errs) == 0 {
		if n := g.size(); n > maxSweepCandidates {
			add("", "the grid has %d combinations, more than %d; split it into several sweeps", n, maxSweepCandidates)
		}
	}
	return errs
}

// size is the number of combinations the lists make (at most; expand may
// skip one that equals today's HPA).
func (g *SweepGrid) size() int {
	n := 1
	for _, l := range []int{len(g.HPA.CPUTargets), len(g.HPA.MinReplicas), len(g.HPA.MaxReplicas), len(g.HPA.ScaleUpWindows),
		len(g.HPA.ScaleDownWindows), len(g.HPA.ScaleUpPercents), len(g.Resources.CPURequests),
		len(g.Resources.CPULimits), len(g.Resources.MemoryRequests)} {
		n *= max(l, 1)
		if n > maxSweepCandidates {
			return n
		}
	}
	return n
}

// Shard selects the candidates one process of a sweep evaluates: those
// whose grid index is Index modulo Count.
type Shard struct {
	Index, Count int
}

// maxShards bounds a shard count (an Indexed Job's completions are limited
// to 100 000 when parallelism is not).
const maxShards = 100_000

// ErrShardSyntax is wrapped by every ParseShard error.
var ErrShardSyntax = errors.New("a shard is i/N with 0 ≤ i < N, for example 0/4")

// ParseShard reads "i/N": shard i (from 0) of N.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q has no '/': %w", s, ErrShardSyntax)
	}
	num := func(what, x string) (int, error) {
		if x == "" || len(x) > 6 || strings.TrimLeft(x, "0123456789") != "" {
			return 0, fmt.Errorf("shard %q: %s %q is not a number of at most 6 digits: %w", s, what, x, ErrShardSyntax)
		}
		return strconv.Atoi(x)
	}
	i, err := num("index", is)
	if err != nil {
		return Shard{}, err
	}
	n, err := num("count", ns)
	if err != nil {
		return Shard{}, err
	}
	switch {
	case n < 1 || n > maxShards:
		return Shard{}, fmt.Errorf("shard %q: count %d must be in [1, %d]: %w", s, n, maxShards, ErrShardSyntax)
	case i >= n:
		return Shard{}, fmt.Errorf("shard %q: index %d must be below the count %d (shards count from 0): %w", s, i, n, ErrShardSyntax)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }
