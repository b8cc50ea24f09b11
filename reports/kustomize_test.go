package reports

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// kustomizeBase writes /base: every NOA workload (with a sidecar) and HPA
// as the cluster holds them today, listed by a Kustomization.
func kustomizeBase(t *testing.T, fsys filesys.FileSystem, plan *scenarios.Plan) {
	t.Helper()
	var resources []string
	for i := range plan.Services {
		s := &plan.Services[i]
		objs := []struct{ kind, name string }{{s.WorkloadRef.Kind, s.WorkloadRef.Name}}
		if s.HPA != nil {
			objs = append(objs, struct{ kind, name string }{"HorizontalPodAutoscaler", scenarios.HPAName(s)})
		}
		for _, o := range objs {
			_, js := liveObject(t, plan, o.kind, o.name)
			y, err := yaml.JSONToYAML(js)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.ToLower(o.kind) + "-" + o.name + ".yaml"
			mustWrite(t, fsys, "/base/"+name, y)
			resources = append(resources, name)
		}
	}
	k, _ := yaml.Marshal(map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources})
	mustWrite(t, fsys, "/base/kustomization.yaml", k)
}

func mustWrite(t *testing.T, fsys filesys.FileSystem, p string, data []byte) {
	t.Helper()
	if err := fsys.MkdirAll(path.Dir(p)); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile(p, data); err != nil {
		t.Fatal(err)
	}
}

// kustomizeBuild builds an overlay of /base plus the given components, as
// `kustomize build` does (kustomize's krusty API).
func kustomizeBuild(t *testing.T, fsys filesys.FileSystem, name string, components ...string) resmap.ResMap {
	t.Helper()
	dir := "/overlays/" + name
	var comps []string
	for _, c := range components {
		comps = append(comps, "../../"+c)
	}
	k, _ := yaml.Marshal(map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
		"resources": []string{"../../base"}, "components": comps})
	mustWrite(t, fsys, dir+"/kustomization.yaml", k)
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		t.Fatalf("kustomize build of base + %v: %v", components, err)
	}
	return m
}

func writePatches(t *testing.T, fsys filesys.FileSystem, dir string, files []File) {
	for _, f := range files {
		mustWrite(t, fsys, dir+"/"+f.Path, f.Data)
	}
}

// field reads a field of the built object kind/name.
func field(t *testing.T, m resmap.ResMap, kind, name string, fields ...string) (string, bool) {
	t.Helper()
	for _, r := range m.Resources() {
		if r.GetKind() != kind || r.GetName() != name {
			continue
		}
		v, err := r.GetFieldValue(strings.Join(fields, "."))
		if err != nil {
			return "", false
		}
		return fmt.Sprint(v), true
	}
	return "", false
}

func kinds(m resmap.ResMap) map[string]int {
	out := map[string]int{}
	for _, r := range m.Resources() {
		out[r.GetKind()]++
	}
	return out
}

// TestComponentsBuild: each component of the NOA patches builds on a base
// of the NOA workloads and HPAs alone, and the top-level one builds them
// all together, with the changes each should make.
func TestComponentsBuild(t *testing.T) {
	plan, rep := noa(t)
	fsys := filesys.MakeFsInMemory()
	kustomizeBase(t, fsys, plan)
	base := kinds(kustomizeBuild(t, fsys, "base"))

	files, _, err := RenderPatches(plan, rep, PatchOptions{Generator: "headroom test", VPA: true})
	if err != nil {
		t.Fatal(err)
	}
	writePatches(t, fsys, "/p", files)
	preScales := 0
	for _, ev := range rep.Events {
		preScales += len(ev.PreScales)
	}

	// The report's proposed maximum for noa-mcp (the recommender raises it).
	wantMax := ""
	for _, r := range rep.Recommendations {
		if r.Service == "noa-mcp" && r.HPA != nil {
			wantMax = fmt.Sprint(r.HPA.MaxReplicas)
		}
	}
	if wantMax == "" || wantMax == "10" {
		t.Fatalf("the NOA report does not raise noa-mcp's maxReplicas (%q)", wantMax)
	}
	m := kustomizeBuild(t, fsys, "hpa", "p/hpa")
	if v, _ := field(t, m, "HorizontalPodAutoscaler", "noa-mcp-hpa", "spec", "maxReplicas"); v != wantMax {
		t.Errorf("hpa component: noa-mcp-hpa maxReplicas %q, want the report's %s", v, wantMax)
	}
	if got := kinds(m); !maps(got, base) {
		t.Errorf("hpa component adds or drops objects: %v, base %v", got, base)
	}

	m = kustomizeBuild(t, fsys, "vpa", "p/vpa")
	if got := kinds(m)["VerticalPodAutoscaler"]; got != len(plan.Services) {
		t.Errorf("vpa component: %d VPAs, want %d", got, len(plan.Services))
	}

	m = kustomizeBuild(t, fsys, "prescale", "p/prescale")
	if got := kinds(m); got["CronJob"] != 2*preScales || got["Role"] != 1 || got["RoleBinding"] != 1 || got["ServiceAccount"] != 1 {
		t.Errorf("prescale component: %v, want %d CronJobs and one SA, Role, RoleBinding", got, 2*preScales)
	}
	if v, _ := field(t, m, "HorizontalPodAutoscaler", "noa-mcp-hpa", "spec", "maxReplicas"); v != "10" {
		t.Errorf("prescale alone changed noa-mcp-hpa maxReplicas to %q", v)
	}

	all := kustomizeBuild(t, fsys, "all", "p")
	got := kinds(all)
	if got["CronJob"] != 2*preScales || got["VerticalPodAutoscaler"] != len(plan.Services) || got["Deployment"] != base["Deployment"] {
		t.Errorf("the top-level component: %v", got)
	}
	if v, _ := field(t, all, "HorizontalPodAutoscaler", "noa-mcp-hpa", "spec", "maxReplicas"); v != wantMax {
		t.Errorf("the top-level component: noa-mcp-hpa maxReplicas %q, want %s", v, wantMax)
	}

	// requests: a recommendation that changes requests builds alone and
	// patches only the serving container.
	svc := plan.Service("noa-claude-flow")
	r := *rep
	r.Events = nil
	r.Recommendations = []record.Recommendation{{Service: svc.Name, Requests: corev1.ResourceList{corev1.ResourceMemory: mustQuantity(t, "1536Mi")},
		ResourceRationale: []string{"memory: test"}}}
	files, _, err = RenderPatches(plan, &r, PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writePatches(t, fsys, "/q", files)
	m = kustomizeBuild(t, fsys, "requests", "q/requests")
	for _, r := range m.Resources() {
		if r.GetName() != svc.WorkloadRef.Name || r.GetKind() != svc.WorkloadRef.Kind {
			continue
		}
		y, _ := r.AsYAML()
		if !strings.Contains(string(y), "memory: 1536Mi") || strings.Count(string(y), "name: sidecar") != 1 {
			t.Errorf("requests component: %s", y)
		}
	}
	kustomizeBuild(t, fsys, "q-all", "q")

	// keda and git, alone and in the top-level component.
	kr := kedaReview(t, rep)
	files, _, err = RenderPatches(plan, kr, PatchOptions{PrescaleWith: PrescaleKEDA})
	if err != nil {
		t.Fatal(err)
	}
	writePatches(t, fsys, "/k", files)
	m = kustomizeBuild(t, fsys, "keda", "k/prescale")
	if v, ok := field(t, m, "ScaledObject", "noa-mcp", "spec", "advanced", "horizontalPodAutoscalerConfig", "name"); v != "noa-mcp-hpa" || !ok {
		t.Errorf("keda component: the ScaledObject takes over %q", v)
	}
	if kinds(kustomizeBuild(t, fsys, "k-all", "k"))["ScaledObject"] != 1 {
		t.Error("the top-level component with keda lacks the ScaledObject")
	}
	files, _, err = RenderPatches(plan, rep, PatchOptions{PrescaleWith: PrescaleGit})
	if err != nil {
		t.Fatal(err)
	}
	writePatches(t, fsys, "/g", files)
	ps := rep.Events[0].PreScales[0]
	wdir := "g/prescale/" + rep.Events[0].Event.Name + "-" + ps.Service
	for verb, want := range map[string]int32{"raise": ps.To, "restore": ps.From} {
		m := kustomizeBuild(t, fsys, "git-"+verb, "g", wdir+"/"+verb)
		if v, _ := field(t, m, ps.TargetKind, ps.TargetName, "spec", "minReplicas"); v != fmt.Sprint(want) {
			t.Errorf("git %s: %s minReplicas %q, want %d", verb, ps.TargetName, v, want)
		}
		if kinds(m)["CronJob"] != 0 {
			t.Errorf("git %s: CronJobs written", verb)
		}
	}
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPrescale_OverlappingEventsMerge: two events whose pre-scales of one
// HPA overlap become one raise and one restore (the earliest raise, the
// latest restore, the higher floor), dated or by time of day; events that
// do not overlap keep their own pair.
func TestPrescale_OverlappingEventsMerge(t *testing.T) {
	plan, rep := noa(t)
	base := rep.Events[0].PreScales[0] // noa-mcp
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ev := func(name string, dated bool, raise, restore time.Duration, to int32) record.EventSection {
		ps := base
		ps.To = to
		ps.RaiseClock, ps.RestoreClock = scenarios.TimeOfDay(raise), scenarios.TimeOfDay(restore)
		ps.Raise, ps.Restore = time.Time{}, time.Time{}
		if dated {
			ps.Raise, ps.Restore = day.Add(raise), day.Add(restore)
		}
		return record.EventSection{Event: scenarios.Event{Name: name, Dated: dated}, PreScales: []scenarios.PreScale{ps}}
	}
	for _, dated := range []bool{true, false} {
		r := *rep
		r.Recommendations = nil
		r.Events = []record.EventSection{
			ev("launch", dated, 13*time.Hour, 16*time.Hour, 10),
			ev("promo", dated, 15*time.Hour, 18*time.Hour, 14),
			ev("late", dated, 20*time.Hour, 21*time.Hour, 6),
		}
		files, _, err := RenderPatches(plan, &r, PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		type cron struct{ schedule, patch string }
		var got []cron
		for _, f := range files {
			if !strings.HasPrefix(f.Path, "prescale/cronjob-") {
				continue
			}
			var cj struct {
				Spec struct {
					Schedule    string `json:"schedule"`
					JobTemplate struct {
						Spec struct {
							Template struct {
								Spec corev1.PodSpec `json:"spec"`
							} `json:"template"`
						} `json:"spec"`
					} `json:"jobTemplate"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(f.Data, &cj); err != nil {
				t.Fatal(err)
			}
			cmd := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Command
			got = append(got, cron{cj.Spec.Schedule, cmd[len(cmd)-1]})
		}
		date := " * * *"
		if dated {
			date = " 27 11 *"
		}
		// Each restore goes back to the floor outside the events (the
		// proposal's minReplicas).
		floor := fmt.Sprintf(`{"spec":{"minReplicas":%d}}`, base.From)
		want := []cron{
			{"0 20" + date, `{"spec":{"minReplicas":6}}`},
			{"0 21" + date, floor},
			{"0 13" + date, `{"spec":{"minReplicas":14}}`},
			{"0 18" + date, floor},
		}
		slices.SortFunc(got, func(a, b cron) int { return strings.Compare(a.schedule+a.patch, b.schedule+b.patch) })
		slices.SortFunc(want, func(a, b cron) int { return strings.Compare(a.schedule+a.patch, b.schedule+b.patch) })
		if !slices.Equal(got, want) {
			t.Errorf("dated %v: CronJobs %v, want %v (launch and promo merged at the higher floor; late alone)", dated, got, want)
		}
	}
}
