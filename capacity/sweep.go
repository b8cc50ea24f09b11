package capacity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// A sweep evaluates every combination of a grid (SweepGrid) of HPA and
// resource settings for one service over the plan's scenarios, each cell
// with the recommender's evaluation (Evaluator: budget burn, worst-window
// burn and SLO minutes at the point estimate, the burns with the inputs
// moved by DefaultMargin and, with the plan's uncertainty ensemble, their
// intervals; cost weighted by scenarios[].weight; scale events; meets and
// never worse than today), so a cell and the recommender's point for the
// same setting carry the same numbers. It can be split into shards that
// run anywhere — on a laptop or as the indexes of a Kubernetes Indexed
// Job — and merged: candidate i belongs to shard i mod N, every
// candidate's evaluation depends on the plan, the grid and i alone, and
// MergeSweep orders the results by i, so any split merges to the same
// bytes as the whole.

// Schema versions of the files a sweep writes. Shard v3 and result v2:
// cells carry the recommender's evaluation (Point), not tune's sums.
const (
	SweepShardSchema  = "headroom.dev/sweep-shard/v3"
	SweepResultSchema = "headroom.dev/sweep-result/v2"
)

// SweepCandidate is one evaluated grid cell.
type SweepCandidate struct {
	// Index is the candidate's position in the grid's fixed order.
	Index int `json:"index"`
	SweepSetting
	// Point is the recommender's evaluation of the cell.
	Point Point `json:"point"`
}

// SweepShard is what one shard writes.
type SweepShard struct {
	SchemaVersion string   `json:"schemaVersion"`
	Plan          string   `json:"plan"`
	Service       string   `json:"service"`
	Mode          sim.Mode `json:"mode"`
	Scenarios     []string `json:"scenarios"`
	// Digest identifies the plan and grid: shards of different sweeps
	// never merge.
	Digest string `json:"digest"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	// Total is the number of candidates in the whole grid.
	Total int `json:"total"`
	// Current is today's HPA with today's resources, evaluated the same
	// way: what every cell's NeverWorse compares with.
	Current Point `json:"current"`
	// Floor is the lowest minReplicas the recommender would propose
	// (Evaluator.Floor), and FloorReason why; a cell below it is never
	// the sweep's best.
	Floor       int32            `json:"floor,omitempty"`
	FloorReason string           `json:"floorReason,omitempty"`
	Results     []SweepCandidate `json:"results"`
	// ResultsDigest covers everything above (the sweep's Digest, the
	// shard's place and its results): a shard whose values were edited or
	// damaged after the sweep wrote it does not merge. It detects edits
	// and corruption; it is not a signature (whoever edits the file can
	// recompute it).
	ResultsDigest string `json:"resultsDigest"`
}

// Verify checks the shard against its ResultsDigest.
func (s *SweepShard) Verify() error {
	if s.ResultsDigest == "" {
		return fmt.Errorf("shard %d/%d has no resultsDigest (written by an older headroom?): run the shard again", s.Shard, s.Shards)
	}
	d, err := s.resultsDigest()
	if err != nil {
		return fmt.Errorf("shard %d/%d: %w", s.Shard, s.Shards, err)
	}
	if d != s.ResultsDigest {
		return fmt.Errorf("shard %d/%d: its contents do not match its resultsDigest (edited or damaged after the sweep wrote it): run the shard again", s.Shard, s.Shards)
	}
	return nil
}

// resultsDigest is the SHA-256 of the shard's JSON without ResultsDigest.
func (s *SweepShard) resultsDigest() (string, error) {
	c := *s
	c.ResultsDigest = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("digest results: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// SweepResult is a whole sweep, merged.
type SweepResult struct {
	SchemaVersion string   `json:"schemaVersion"`
	Plan          string   `json:"plan"`
	Service       string   `json:"service"`
	Mode          sim.Mode `json:"mode"`
	Scenarios     []string `json:"scenarios"`
	Digest        string   `json:"digest"`
	Candidates    int      `json:"candidates"`
	// Current is today's HPA with today's resources.
	Current Point `json:"current"`
	// Floor and FloorReason are the shards'.
	Floor       int32  `json:"floor,omitempty"`
	FloorReason string `json:"floorReason,omitempty"`
	// Met: Best holds the SLO in every scenario, with the margin, and is
	// never worse than today.
	Met bool `json:"met"`
	// Best is chosen as the recommender chooses: the cheapest cell that
	// holds the SLO and is never worse than today (then fewer scale
	// events, then grid order); when none does, the never-worse cell that
	// misses the budget least, if it misses it less than today; absent
	// when no cell is better than today.
	Best *SweepCandidate `json:"best,omitempty"`
	// Pareto is the front of cost against worst burn (Point.WorstBurn):
	// by increasing cost, each member burns less than every cheaper one.
	Pareto []SweepCandidate `json:"pareto"`
	// Results are every candidate, by index.
	Results []SweepCandidate `json:"results"`
}

// sweepPlan is a grid resolved against a plan: the candidates in order and
// the plan variant each one runs on.
type sweepPlan struct {
	grid      *SweepGrid
	service   string
	scenarios []string
	mode      sim.Mode
	digest    string
	// variants are the plan with each resource combination; cands[i] runs
	// on variants[variant[i]] with its HPA.
	variants []*scenarios.Plan
	cands    []SweepSetting
	variant  []int
}

// resolveSweep checks the grid against the plan and expands it.
func resolveSweep(plan *scenarios.Plan, grid *SweepGrid) (*sweepPlan, error) {
	svc := plan.Service(grid.Service)
	if svc == nil {
		return nil, fmt.Errorf("grid service %q: the plan has no such service", grid.Service)
	}
	mode, err := sim.ParseMode(string(grid.Mode))
	if err != nil {
		return nil, err
	}
	sp := &sweepPlan{grid: grid, service: svc.Name, mode: mode}
	if len(grid.Scenarios) == 0 {
		for _, sc := range plan.Scenarios {
			if sc.AppliesTo(svc.Name) {
				sp.scenarios = append(sp.scenarios, sc.Name)
			}
		}
		if len(sp.scenarios) == 0 {
			return nil, fmt.Errorf("no scenario of the plan covers service %s", svc.Name)
		}
	}
	for _, name := range grid.Scenarios {
		sc := plan.Scenario(name)
		if sc == nil {
			return nil, fmt.Errorf("grid scenario %q: the plan has no such scenario", name)
		}
		if !sc.AppliesTo(svc.Name) {
			return nil, fmt.Errorf("grid scenario %q does not cover service %s", name, svc.Name)
		}
		sp.scenarios = append(sp.scenarios, name)
	}
	h := grid.HPA
	if svc.HPA == nil && (len(h.CPUTargets)+len(h.MinReplicas)+len(h.MaxReplicas)+len(h.ScaleUpWindows)+len(h.ScaleDownWindows)+len(h.ScaleUpPercents)) > 0 {
		return nil, fmt.Errorf("grid hpa: service %s has no HPA to vary; remove the hpa lists or add an HPA to the plan", svc.Name)
	}
	if svc.HPA != nil && len(h.CPUTargets) > 0 && svc.HPACPUTarget() == 0 {
		return nil, fmt.Errorf("grid hpa.cpuTargets: service %s's HPA has no CPU utilisation metric to retarget", svc.Name)
	}
	if svc.HPA != nil && len(h.MaxReplicas) == 0 {
		for _, m := range h.MinReplicas {
			if m > svc.HPA.MaxReplicas {
				return nil, fmt.Errorf("grid hpa.minReplicas: %d is above service %s's maxReplicas %d", m, svc.Name, svc.HPA.MaxReplicas)
			}
		}
	}
	pb, err := json.Marshal(plan)
	if err != nil {
		return nil, fmt.Errorf("digest plan: %w", err)
	}
	gb, err := json.Marshal(grid)
	if err != nil {
		return nil, fmt.Errorf("digest grid: %w", err)
	}
	sum := sha256.New()
	sum.Write(pb)
	sum.Write([]byte{0})
	sum.Write(gb)
	sp.digest = "sha256:" + hex.EncodeToString(sum.Sum(nil))

	// Resource combinations outside, HPA candidates inside, each in list
	// order: the grid's fixed order.
	var hpaCands []SweepSetting
	if svc.HPA != nil {
		hpaCands = expand(svc.HPA, grid.HPA)
	} else {
		hpaCands = []SweepSetting{{}}
	}
	one := func(qs []resource.Quantity) []*resource.Quantity {
		if len(qs) == 0 {
			return []*resource.Quantity{nil}
		}
		out := make([]*resource.Quantity, len(qs))
		for i := range qs {
			out[i] = &qs[i]
		}
		return out
	}
	r := grid.Resources
	for _, req := range one(r.CPURequests) {
		for _, lim := range one(r.CPULimits) {
			for _, mem := range one(r.MemoryRequests) {
				v, err := withResources(plan, svc.Name, req, lim, mem)
				if err != nil {
					return nil, err
				}
				sp.variants = append(sp.variants, v)
				for _, c := range hpaCands {
					if req != nil {
						c.CPURequest = req.String()
					}
					if lim != nil {
						c.CPULimit = lim.String()
					}
					if mem != nil {
						c.MemoryRequest = mem.String()
					}
					sp.cands = append(sp.cands, c)
					sp.variant = append(sp.variant, len(sp.variants)-1)
				}
			}
		}
	}
	return sp, nil
}

// withResources is plan with the service's container resources replaced
// where not nil, validated again (a request above the plan's limit is an
// error here).
func withResources(plan *scenarios.Plan, service string, cpuReq, cpuLim, memReq *resource.Quantity) (*scenarios.Plan, error) {
	if cpuReq == nil && cpuLim == nil && memReq == nil {
		return plan, nil
	}
	cp := *plan
	cp.Services = slices.Clone(plan.Services)
	s := cp.Service(service)
	s.Resources = *s.Resources.DeepCopy()
	set := func(l *corev1.ResourceList, name corev1.ResourceName, q *resource.Quantity) {
		if q == nil {
			return
		}
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[name] = q.DeepCopy()
	}
	set(&s.Resources.Requests, corev1.ResourceCPU, cpuReq)
	set(&s.Resources.Limits, corev1.ResourceCPU, cpuLim)
	set(&s.Resources.Requests, corev1.ResourceMemory, memReq)
	if err := cp.Validate(); err != nil {
		return nil, fmt.Errorf("grid resources (cpu request %v, cpu limit %v, memory request %v): %w", qstr(cpuReq), qstr(cpuLim), qstr(memReq), err)
	}
	return &cp, nil
}

func qstr(q *resource.Quantity) string {
	if q == nil {
		return "as planned"
	}
	return q.String()
}

// Sweep evaluates one shard of the grid over the plan, in parallel on
// GOMAXPROCS workers. progress, if not nil, is called after each
// candidate.
func Sweep(ctx context.Context, plan *scenarios.Plan, grid *SweepGrid, shard Shard, progress func(done, total int)) (*SweepShard, error) {
	if shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count {
		return nil, fmt.Errorf("invalid shard %s", shard)
	}
	sp, err := resolveSweep(plan, grid)
	if err != nil {
		return nil, err
	}
	out := &SweepShard{
		SchemaVersion: SweepShardSchema, Plan: plan.Metadata.Name, Service: sp.service, Mode: sp.mode,
		Scenarios: sp.scenarios, Digest: sp.digest, Shard: shard.Index, Shards: shard.Count, Total: len(sp.cands),
	}
	var mine []int
	for i := shard.Index; i < len(sp.cands); i += shard.Count {
		mine = append(mine, i)
	}
	ev, err := NewEvaluator(ctx, plan, sp.service, sp.scenarios, ProposeOptions{Mode: sp.mode})
	if err != nil {
		return nil, err
	}
	out.Current = ev.Current()
	out.Floor, out.FloorReason = ev.Floor()
	out.Results = make([]SweepCandidate, len(mine))
	err = evaluateAll(ctx, len(mine), func(k int) error {
		i := mine[k]
		c := sp.cands[i]
		p, err := ev.Evaluate(withHPA(sp.variants[sp.variant[i]], sp.service, c.spec), c.setting())
		if err != nil {
			return fmt.Errorf("candidate %d: %w", i, err)
		}
		out.Results[k] = SweepCandidate{Index: i, SweepSetting: c, Point: p}
		return nil
	}, progress)
	if err != nil {
		return nil, err
	}
	if out.ResultsDigest, err = out.resultsDigest(); err != nil {
		return nil, err
	}
	return out, nil
}

// MergeSweep joins the shards of one sweep, given in any order, into the
// whole: every shard 0 … N−1 exactly once, from the same plan and grid,
// each as the sweep wrote it (its ResultsDigest), every candidate exactly
// once. The result depends only on the candidates,
// not on the split.
func MergeSweep(shards []*SweepShard) (*SweepResult, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("no shards to merge")
	}
	first := shards[0]
	if first.Shards < 1 || first.Shards > maxShards || first.Total < 1 {
		return nil, fmt.Errorf("shard file %d: %d shards of %d candidates is not a sweep", 0, first.Shards, first.Total)
	}
	seen := make([]bool, first.Shards)
	for k, s := range shards {
		switch {
		case s.SchemaVersion == "headroom.dev/sweep-shard/v1":
			return nil, fmt.Errorf("shard file %d: schema %q was written by a headroom whose runs started cold; its numbers do not merge with %q shards: run the shard again", k, s.SchemaVersion, SweepShardSchema)
		case s.SchemaVersion == "headroom.dev/sweep-shard/v2":
			return nil, fmt.Errorf("shard file %d: schema %q was written by a headroom that summed tune's measures per cell; its numbers do not merge with %q shards (the recommender's evaluation): run the shard again", k, s.SchemaVersion, SweepShardSchema)
		case s.SchemaVersion != SweepShardSchema:
			return nil, fmt.Errorf("shard file %d: schema %q, want %q", k, s.SchemaVersion, SweepShardSchema)
		case s.Digest != first.Digest || s.Shards != first.Shards || s.Total != first.Total ||
			s.Service != first.Service || s.Mode != first.Mode || !slices.Equal(s.Scenarios, first.Scenarios) ||
			s.Floor != first.Floor || s.FloorReason != first.FloorReason || !reflect.DeepEqual(s.Current, first.Current):
			return nil, fmt.Errorf("shard %d/%d and shard %d/%d come from different sweeps (plan, grid or shard count differ)",
				s.Shard, s.Shards, first.Shard, first.Shards)
		case s.Shard < 0 || s.Shard >= len(seen):
			return nil, fmt.Errorf("shard %d/%d is out of range", s.Shard, s.Shards)
		case seen[s.Shard]:
			return nil, fmt.Errorf("shard %d/%d is given twice", s.Shard, s.Shards)
		}
		if err := s.Verify(); err != nil {
			return nil, err
		}
		seen[s.Shard] = true
	}
	var missing []int
	for i, ok := range seen {
		if !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing shard(s) %v of %d", missing, first.Shards)
	}
	res := &SweepResult{
		SchemaVersion: SweepResultSchema, Plan: first.Plan, Service: first.Service, Mode: first.Mode,
		Scenarios: first.Scenarios, Digest: first.Digest, Candidates: first.Total, Current: first.Current,
		Floor: first.Floor, FloorReason: first.FloorReason,
	}
	for _, s := range shards {
		for _, c := range s.Results {
			if c.Index%s.Shards != s.Shard {
				return nil, fmt.Errorf("shard %d/%d holds candidate %d, which belongs to shard %d", s.Shard, s.Shards, c.Index, c.Index%s.Shards)
			}
			res.Results = append(res.Results, c)
		}
	}
	sort.Slice(res.Results, func(i, j int) bool { return res.Results[i].Index < res.Results[j].Index })
	if len(res.Results) != first.Total {
		return nil, fmt.Errorf("the shards hold %d candidates, the grid has %d", len(res.Results), first.Total)
	}
	for i, c := range res.Results {
		if c.Index != i {
			return nil, fmt.Errorf("candidate %d is missing or given twice", i)
		}
	}
	if len(res.Current.Outcomes) != len(res.Scenarios) {
		return nil, fmt.Errorf("today's evaluation covers %d scenarios, the sweep %d", len(res.Current.Outcomes), len(res.Scenarios))
	}
	for _, c := range res.Results {
		if len(c.Point.Outcomes) != len(res.Scenarios) {
			return nil, fmt.Errorf("candidate %d covers %d scenarios, the sweep %d", c.Index, len(c.Point.Outcomes), len(res.Scenarios))
		}
	}
	best, met := chooseCell(res.Results, &res.Current, res.Floor)
	if best >= 0 {
		res.Best, res.Met = &res.Results[best], met
	}
	res.Pareto = paretoCells(res.Results, best)
	return res, nil
}

// SweepAll runs the whole grid in this process: the merge of its single
// shard.
func SweepAll(ctx context.Context, plan *scenarios.Plan, grid *SweepGrid, progress func(done, total int)) (*SweepResult, error) {
	s, err := Sweep(ctx, plan, grid, Shard{Index: 0, Count: 1}, progress)
	if err != nil {
		return nil, err
	}
	return MergeSweep([]*SweepShard{s})
}

// SweepSize checks a grid against a plan and returns its number of
// candidates, without simulating anything.
func SweepSize(plan *scenarios.Plan, grid *SweepGrid) (int, error) {
	sp, err := resolveSweep(plan, grid)
	if err != nil {
		return 0, err
	}
	return len(sp.cands), nil
}
