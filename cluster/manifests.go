package cluster

import (
	"fmt"
	"sort"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/scenarios/planfile"
)

// FromManifests builds a Discovery from objects read from manifest files
// (scenarios.ParseManifests), with the construction Discover uses for
// live objects: one service per Deployment and StatefulSet, the HPA that
// targets it, the same placeholders. Unlike Discover, which notes and
// skips them, an HPA that targets no workload among the manifests and an
// object given twice are errors, named with file:line: the files are what
// the user chose to plan. Namespace is the workloads' namespace when they
// share one, else "".
func FromManifests(objs []scenarios.Manifest) (*Discovery, error) {
	d := &Discovery{fromFiles: true}
	var workloads []workload
	var hpas []autoscalingv2.HorizontalPodAutoscaler
	pos := map[string]string{} // kind/namespace/name → file:line
	var errs []string
	namespaces := map[string]bool{}
	for _, m := range objs {
		var ns string
		switch {
		case m.Deployment != nil:
			ns = m.Deployment.Namespace
			workloads = append(workloads, workload{kind: "Deployment", namespace: ns, meta: m.Deployment.ObjectMeta,
				replicas: m.Deployment.Spec.Replicas, pod: m.Deployment.Spec.Template.Spec})
			namespaces[ns] = true
		case m.StatefulSet != nil:
			ns = m.StatefulSet.Namespace
			workloads = append(workloads, workload{kind: "StatefulSet", namespace: ns, meta: m.StatefulSet.ObjectMeta,
				replicas: m.StatefulSet.Spec.Replicas, pod: m.StatefulSet.Spec.Template.Spec})
			namespaces[ns] = true
		case m.HPA != nil:
			ns = m.HPA.Namespace
			hpas = append(hpas, *m.HPA)
		default:
			continue
		}
		key := m.Kind + "/" + ns + "/" + m.Name
		if first, ok := pos[key]; ok {
			errs = append(errs, fmt.Sprintf("%s: %s %s is given twice (first at %s)", m.Pos(), m.Kind, m.Name, first))
			continue
		}
		pos[key] = m.Pos()
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	if len(workloads) == 0 {
		return nil, fmt.Errorf("the manifests hold no Deployment or StatefulSet; nothing to plan")
	}
	if len(namespaces) == 1 {
		for ns := range namespaces {
			d.Namespace = ns
		}
	}
	d.assemble(workloads, hpas, nil)
	for _, h := range d.unusedHPAs {
		ref := h.Spec.ScaleTargetRef
		errs = append(errs, fmt.Sprintf("%s: HorizontalPodAutoscaler %s targets %s %s (%s), which is not among the Deployments and StatefulSets given; add its manifest with -f",
			pos["HorizontalPodAutoscaler/"+h.Namespace+"/"+h.Name], h.Name, ref.Kind, ref.Name, ref.APIVersion))
	}
	d.unusedHPAs = nil
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	sort.Strings(d.Notes)
	return d, nil
}

// StartingScenarios are the scenarios of a plan from `headroom plan init`:
// a day, the same day at twice the load, and an event. Their shapes are
// assumptions to edit, each a multiplier of every service's requestRate.
func StartingScenarios() []scenarios.Scenario {
	day := scenarios.Component{Diurnal: &scenarios.Diurnal{Min: 0.3, Max: 1, Peak: scenarios.TimeOfDay(14 * time.Hour)}}
	return []scenarios.Scenario{
		{
			Name:        "daily",
			Description: "A day of traffic: requestRate at the 14:00 UTC peak, 30% of it at night.",
			Duration:    scenarios.Duration(24 * time.Hour),
			Profile:     []scenarios.Component{day},
		},
		{
			Name:        "growth-2x",
			Description: "The same day after the load doubles.",
			Duration:    scenarios.Duration(24 * time.Hour),
			Profile:     []scenarios.Component{day, {Growth: &scenarios.Growth{Percent: 100}}},
		},
		{
			Name:        "event-spike",
			Description: "An event: traffic rises to 3x the peak over 10 minutes at 14:00 UTC and holds an hour.",
			Start:       scenarios.TimeOfDay(12 * time.Hour),
			Duration:    scenarios.Duration(6 * time.Hour),
			Profile: []scenarios.Component{{Spike: &scenarios.Spike{
				At: scenarios.Duration(2 * time.Hour), Rise: scenarios.Duration(10 * time.Minute),
				Hold: scenarios.Duration(time.Hour), Fall: scenarios.Duration(30 * time.Minute), Multiplier: 3,
			}}},
		},
	}
}

// WriteStartingPlan renders the plan `headroom plan init` writes from
// manifests: d's services with the placeholders Discover writes and
// StartingScenarios. sources names the manifest files, for the header.
func (d *Discovery) WriteStartingPlan(sources []string) ([]byte, error) {
	name := d.Namespace
	if name == "" {
		name = "capacity-plan"
	}
	p := d.plan(scenarios.Metadata{
		Name:        name,
		Description: "written by headroom plan init from " + strings.Join(sources, ", "),
	}, StartingScenarios())
	return d.render(p, planfile.Annotations{
		Header: strings.Join([]string{
			"Capacity plan written by `headroom plan init` from " + strings.Join(sources, ", ") + ".",
			"",
			"The manifests give replicas, resources and autoscalers; they cannot say how the",
			"services are used. Every line marked TODO holds a zero that headroom refuses:",
			"fill them from measurements (`headroom observe`) before sizing or simulating.",
			"`headroom size -f THIS_FILE` lists what is still missing, with line numbers.",
		}, "\n"),
		Scenarios: "Starting scenarios; each multiplies every service's requestRate.\n" +
			"TODO: adjust the daily shape (min, max, peak), the growth and the event's\n" +
			"multiplier and times to your traffic; `headroom observe` can write the observed\n" +
			"day as a replay scenario.",
	})
}

// FromPlan is the Discovery of a plan's services, as `headroom discover`
// wrote them (placeholders possibly still unfilled), so that
// WriteStartingPlan can give it the starting scenarios and comments.
func FromPlan(p *scenarios.Plan) *Discovery {
	d := &Discovery{Namespace: p.Metadata.Name, fromFiles: true}
	for _, s := range p.Services {
		ds := DiscoveredService{Service: s}
		if s.HPA != nil {
			ds.HPA = s.HPAName // "" writes no comment above the spec
		}
		d.Services = append(d.Services, ds)
	}
	return d
}
