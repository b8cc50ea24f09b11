package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// DefaultKubectlImage runs the scheduled-scaling CronJobs: the Kubernetes
// project's kubectl image, pinned to a release (the runbook's
// bitnami/kubectl:latest changes under you). It has no shell: every
// container runs kubectl itself.
const DefaultKubectlImage = "registry.k8s.io/kubectl:v1.37.2"

// ScheduledScalingAccount is the ServiceAccount the CronJobs run as.
const ScheduledScalingAccount = "headroom-scheduled-scaling"

// jobUser is the non-root UID (and GID) the CronJob pods run as: the
// "nonroot" user of the distroless images the kubectl image is built on.
const jobUser = 65532

// window is one pre-scale of one target: the events whose pre-scales of
// that target overlap, merged into one raise and one restore, so no two
// CronJobs (or triggers, or patches) ever set a different floor on the
// same HPA at the same time.
type window struct {
	events                           []string
	service, namespace, kind, target string
	dated                            bool
	// raise and restore for a dated window; raiseClock and restoreClock
	// (offsets into a UTC day, restoreClock past 24 h when the window
	// crosses midnight) for a time-of-day one.
	raise, restore           time.Time
	raiseClock, restoreClock time.Duration
	from, to, maxFrom, maxTo int32
	rationale                []string
}

func (w *window) start() time.Duration {
	if w.dated {
		return time.Duration(w.raise.UnixNano())
	}
	return w.raiseClock
}

func (w *window) end() time.Duration {
	if w.dated {
		return time.Duration(w.restore.UnixNano())
	}
	return w.restoreClock
}

// name is the window's name: its events and its service, as the CronJobs
// and directories are named.
func (w *window) name() string { return strings.Join(w.events, "-") + "-" + w.service }

func (w *window) raiseSchedule() string {
	if w.dated {
		return scenarios.CronSchedule(w.raise, 0)
	}
	return scenarios.CronSchedule(time.Time{}, scenarios.TimeOfDay(w.raiseClock%(24*time.Hour)))
}

func (w *window) restoreSchedule() string {
	if w.dated {
		return scenarios.CronSchedule(w.restore, 0)
	}
	return scenarios.CronSchedule(time.Time{}, scenarios.TimeOfDay(w.restoreClock%(24*time.Hour)))
}

func (w *window) when(raise bool) string {
	if !w.dated {
		c := w.raiseClock
		if !raise {
			c = w.restoreClock
		}
		return scenarios.TimeOfDay(c%(24*time.Hour)).String() + " UTC daily"
	}
	if raise {
		return w.raise.UTC().Format(time.RFC3339)
	}
	return w.restore.UTC().Format(time.RFC3339)
}

// prescaleWindows merges the events' pre-scales per target: pre-scales of
// one target whose [raise, restore) intervals overlap become one window
// from the first raise to the last restore, at the highest floor (and
// maxReplicas) any of them needs. Dated events merge with dated ones,
// time-of-day events with time-of-day ones (within one UTC day). A review
// carries the schedules merged already (capacity.MergePreScales: each
// event's pre-scale of the target is the same schedule), so this only
// folds them into one window; it merges windows that differ only for a
// record made otherwise.
func prescaleWindows(events []record.EventSection) []*window {
	groups := map[string][]*window{}
	var keys []string
	for _, ev := range events {
		for _, ps := range ev.PreScales {
			w := &window{
				events: []string{ev.Event.Name}, service: ps.Service, namespace: ps.Namespace,
				kind: ps.TargetKind, target: ps.TargetName, dated: ev.Event.Dated,
				raise: ps.Raise, restore: ps.Restore,
				raiseClock: time.Duration(ps.RaiseClock), restoreClock: time.Duration(ps.RestoreClock),
				from: ps.From, to: ps.To, maxFrom: ps.MaxFrom, maxTo: ps.MaxTo,
				rationale: slices.Clone(ps.Rationale),
			}
			if w.restoreClock <= w.raiseClock {
				w.restoreClock += 24 * time.Hour
			}
			key := strings.Join([]string{ps.Namespace, ps.TargetKind, ps.TargetName, strconv.FormatBool(w.dated)}, "\x00")
			if _, ok := groups[key]; !ok {
				keys = append(keys, key)
			}
			groups[key] = append(groups[key], w)
		}
	}
	var out []*window
	differ := map[*window]bool{}
	for _, k := range keys {
		ws := groups[k]
		sort.SliceStable(ws, func(i, j int) bool { return ws[i].start() < ws[j].start() })
		cur := ws[0]
		for _, w := range ws[1:] {
			if w.start() > cur.end() {
				out = append(out, cur)
				cur = w
				continue
			}
			if w.start() != cur.start() || w.end() != cur.end() || w.to != cur.to || w.maxTo != cur.maxTo {
				differ[cur] = true
			}
			for _, e := range w.events {
				if !slices.Contains(cur.events, e) {
					cur.events = append(cur.events, e)
				}
			}
			if w.end() > cur.end() {
				cur.restore, cur.restoreClock = w.restore, w.restoreClock
			}
			cur.to, cur.maxTo = max(cur.to, w.to), max(cur.maxTo, w.maxTo)
			for _, l := range w.rationale {
				if !slices.Contains(cur.rationale, l) {
					cur.rationale = append(cur.rationale, l)
				}
			}
		}
		out = append(out, cur)
	}
	for _, w := range out {
		if differ[w] {
			w.rationale = append([]string{fmt.Sprintf("events %s overlap on %s: one raise at the first, one restore after the last, at the highest floor (%d)",
				strings.Join(w.events, ", "), w.target, w.to)}, w.rationale...)
		}
	}
	return out
}

type prescaleOut struct {
	files     []File
	refs      []record.PatchFile
	component bool // prescale/kustomization.yaml was written
}

func renderPrescale(plan *scenarios.Plan, rep *record.Review, opts PatchOptions) (prescaleOut, error) {
	ws := prescaleWindows(rep.Events)
	if len(ws) == 0 {
		return prescaleOut{}, nil
	}
	switch opts.PrescaleWith {
	case PrescaleKEDA:
		return kedaPrescale(plan, rep, ws)
	case PrescaleGit:
		return gitPrescale(ws, opts)
	}
	return cronPrescale(ws, opts), nil
}

// cronPrescale writes prescale/: a raise and a restore CronJob per window
// and the identity they run as.
func cronPrescale(ws []*window, opts PatchOptions) prescaleOut {
	var out prescaleOut
	var resources []string
	type grant struct{ hpas, deployments, statefulsets, cronjobs []string }
	grants := map[string]*grant{}
	for _, w := range ws {
		g := grants[w.namespace]
		if g == nil {
			g = &grant{}
			grants[w.namespace] = g
		}
		switch w.kind {
		case "HorizontalPodAutoscaler":
			g.hpas = append(g.hpas, w.target)
		case "StatefulSet":
			g.statefulsets = append(g.statefulsets, w.target)
		default:
			g.deployments = append(g.deployments, w.target)
		}
		for _, raise := range []bool{true, false} {
			f, name := cronJob(w, raise, opts)
			if w.dated {
				g.cronjobs = append(g.cronjobs, name)
			}
			out.files = append(out.files, f)
			resources = append(resources, path.Base(f.Path))
			out.refs = append(out.refs, record.PatchFile{Path: f.Path, Target: strings.TrimSpace("CronJob " + nsName(w.namespace, name)), Rationale: w.rationale})
		}
	}
	for _, ns := range sortedKeys(grantKeys(grants)) {
		g := grants[ns]
		f := scheduledScalingRBAC(ns, g.hpas, g.deployments, g.statefulsets, g.cronjobs)
		out.files = append(out.files, f)
		resources = append(resources, path.Base(f.Path))
		where := ns
		if where == "" {
			where = "the namespace they are applied to"
		}
		out.refs = append(out.refs, record.PatchFile{Path: f.Path, Target: strings.TrimSpace("ServiceAccount, Role, RoleBinding " + ns),
			Rationale: []string{"lets the scheduled-scaling CronJobs get and patch the named HPAs (and scale the named workloads) in " + where + ", nothing else"}})
	}
	out.files = append(out.files, component("prescale", []string{
		"Event pre-scaling: CronJobs that raise each HPA's floor before an event and restore it after,",
		"with the ServiceAccount and Role they run as (get/patch on the named HPAs only).",
		"Under Argo CD or Flux read docs/report.md (Pre-scaling under GitOps): the CronJobs patch",
		"live objects, which a self-healing sync reverts unless told to ignore those fields.",
	}, nil, resources, nil))
	out.component = true
	return out
}

func grantKeys[T any](m map[string]T) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// restricted is a container securityContext that meets the "restricted"
// Pod Security Standard (k8s.io/pod-security-admission/policy:
// allowPrivilegeEscalation false, capabilities drop ALL, runAsNonRoot,
// seccomp RuntimeDefault), with a read-only root filesystem besides.
func restricted() map[string]any {
	return map[string]any{
		"allowPrivilegeEscalation": false,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
		"readOnlyRootFilesystem":   true,
		"runAsNonRoot":             true,
	}
}

// kubectlContainer runs one kubectl command with a writable /tmp as HOME
// (kubectl's discovery cache) on a read-only root filesystem.
func kubectlContainer(name, image string, args []string) map[string]any {
	return map[string]any{
		"name": name, "image": image, "command": args,
		"env":             []any{map[string]any{"name": "HOME", "value": "/tmp"}},
		"securityContext": restricted(),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "10m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "200m", "memory": "128Mi"},
		},
		"volumeMounts": []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}},
	}
}

func cronJob(w *window, raise bool, opts PatchOptions) (File, string) {
	verb, floor, maxR, schedule := "raise", w.to, w.maxTo, w.raiseSchedule()
	if !raise {
		verb, floor, maxR, schedule = "restore", w.from, w.maxFrom, w.restoreSchedule()
	}
	name := jobName("prescale-"+w.name(), verb)
	var args []string
	if w.kind == "HorizontalPodAutoscaler" {
		spec := map[string]int32{"minReplicas": floor}
		if w.maxTo > w.maxFrom {
			spec["maxReplicas"] = maxR
		}
		patch, _ := json.Marshal(map[string]any{"spec": spec})
		args = append([]string{"kubectl", "patch", "horizontalpodautoscaler", w.target}, namespaceArgs(w.namespace)...)
		args = append(args, "--type=merge", "-p", string(patch))
	} else {
		args = append([]string{"kubectl", "scale", strings.ToLower(w.kind), w.target}, namespaceArgs(w.namespace)...)
		args = append(args, fmt.Sprintf("--replicas=%d", floor))
	}
	pod := map[string]any{
		"serviceAccountName": ScheduledScalingAccount,
		"restartPolicy":      "OnFailure",
		"securityContext": map[string]any{
			"runAsNonRoot": true, "runAsUser": jobUser, "runAsGroup": jobUser,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"containers": []any{kubectlContainer("kubectl", opts.KubectlImage, args)},
		"volumes":    []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{"sizeLimit": "16Mi"}}},
	}
	// A label value holds 63 characters, one event name; the annotation
	// names every event of a merged window.
	labels := map[string]any{"app.kubernetes.io/managed-by": "headroom", "headroom.dev/event": w.events[0]}
	annotations := map[string]any{"headroom.dev/events": strings.Join(w.events, ",")}
	if w.dated {
		// A cron schedule has no year field (CronJob spec.schedule,
		// robfig/cron's five fields): the dated schedule would match
		// again a year later. The job's first step suspends its own
		// CronJob, so it runs once; the init container must succeed
		// before kubectl touches the HPA.
		suspendSelf := append([]string{"kubectl", "patch", "cronjob", name}, namespaceArgs(w.namespace)...)
		suspendSelf = append(suspendSelf, "--type=merge", "-p", `{"spec":{"suspend":true}}`)
		pod["initContainers"] = []any{kubectlContainer("suspend-self", opts.KubectlImage, suspendSelf)}
		when := w.raise
		if !raise {
			when = w.restore
		}
		annotations["headroom.dev/runs-once-at"] = when.UTC().Format(time.RFC3339)
	}
	md := meta(name, w.namespace, labels)
	md["annotations"] = annotations
	obj := map[string]any{
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": md,
		"spec": map[string]any{
			"schedule": schedule, "timeZone": "Etc/UTC",
			"concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 300, "suspend": !w.dated,
			"successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 3,
			"jobTemplate": map[string]any{"spec": map[string]any{
				"backoffLimit": 3, "activeDeadlineSeconds": 600,
				"template": map[string]any{"spec": pod},
			}},
		},
	}
	b, _ := yaml.Marshal(obj)
	var head []string
	if raise {
		head = append(head, fmt.Sprintf("Pre-scale %s (events: %s): raise %s's floor %d → %d at %s.", w.name(), strings.Join(w.events, ", "), w.target, w.from, w.to, w.when(true)))
	} else {
		head = append(head, fmt.Sprintf("Pre-scale %s (events: %s): restore %s's floor to %d at %s.", w.name(), strings.Join(w.events, ", "), w.target, w.from, w.when(false)))
	}
	head = append(head, w.rationale...)
	if w.dated {
		head = append(head, "Runs once: its first container suspends this CronJob, so the date cannot match again next year.",
			"Under GitOps keep spec.suspend out of the sync (docs/report.md), or the sync unsuspends it.")
	} else {
		head = append(head, "The plan gives the event's time of day but not its date: set the day and month in the schedule and unsuspend.")
	}
	return File{Path: "prescale/cronjob-" + name + ".yaml", Data: withComments(head, b)}, name
}

// jobName keeps a CronJob name within the 52 characters Kubernetes allows
// (its Jobs add 11), ending in the verb.
func jobName(base, verb string) string {
	name := base + "-" + verb
	if len(name) <= 52 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(base))
	return fmt.Sprintf("%s-%08x-%s", strings.TrimRight(base[:52-len(verb)-10], "-"), h.Sum32(), verb)
}

// scheduledScalingRBAC is the CronJobs' identity in one namespace: get and
// patch on exactly the HPAs (and scale on exactly the workloads) they
// change, and patch on the dated CronJobs that suspend themselves.
func scheduledScalingRBAC(namespace string, hpas, deployments, statefulsets, cronjobs []string) File {
	sa := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": meta(ScheduledScalingAccount, namespace, nil)}
	var rules []any
	rule := func(group string, resources []string, verbs []string, names []string) {
		if len(names) == 0 {
			return
		}
		names = slices.Compact(slices.Sorted(slices.Values(names)))
		rules = append(rules, map[string]any{"apiGroups": []any{group}, "resources": resources, "verbs": verbs, "resourceNames": names})
	}
	rule("autoscaling", []string{"horizontalpodautoscalers"}, []string{"get", "patch"}, hpas)
	rule("apps", []string{"deployments", "deployments/scale"}, []string{"get", "patch"}, deployments)
	rule("apps", []string{"statefulsets", "statefulsets/scale"}, []string{"get", "patch"}, statefulsets)
	rule("batch", []string{"cronjobs"}, []string{"get", "patch"}, cronjobs)
	role := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
		"metadata": meta(ScheduledScalingAccount, namespace, nil), "rules": rules}
	// A ServiceAccount subject without a namespace is the RoleBinding's.
	subject := meta(ScheduledScalingAccount, namespace, nil)
	subject["kind"] = "ServiceAccount"
	binding := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": meta(ScheduledScalingAccount, namespace, nil),
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ScheduledScalingAccount},
		"subjects": []any{subject}}
	var b bytes.Buffer
	b.WriteString("# The identity of the scheduled-scaling CronJobs: get and patch on the named HPAs (and workloads)\n# and on the dated CronJobs that suspend themselves, in this namespace, nothing else.\n")
	for i, obj := range []map[string]any{sa, role, binding} {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, _ := yaml.Marshal(obj)
		b.Write(y)
	}
	name := "prescale/rbac-" + ScheduledScalingAccount + ".yaml"
	if namespace != "" {
		name = "prescale/rbac-" + ScheduledScalingAccount + "-" + namespace + ".yaml"
	}
	return File{Path: name, Data: b.Bytes()}
}

// gitPrescale writes each window as two Components a GitOps pipeline
// merges in turn: prescale/<window>/raise (the event's floor) and
// prescale/<window>/restore (today's), and prescale/schedule.tsv saying
// when. Nothing runs in the cluster, so nothing is reverted by a sync;
// a dated window cannot repeat, as the pipeline merges each change once.
func gitPrescale(ws []*window, opts PatchOptions) (prescaleOut, error) {
	var out prescaleOut
	var sched bytes.Buffer
	sched.WriteString("# when (UTC)\taction\tcomponent\ttarget\n")
	for _, w := range ws {
		for _, raise := range []bool{true, false} {
			verb, floor, maxR := "raise", w.to, w.maxTo
			if !raise {
				verb, floor, maxR = "restore", w.from, w.maxFrom
			}
			dir := path.Join("prescale", w.name(), verb)
			spec := map[string]any{}
			var p map[string]any
			if w.kind == "HorizontalPodAutoscaler" {
				spec["minReplicas"] = floor
				if w.maxTo > w.maxFrom {
					spec["maxReplicas"] = maxR
				}
				p = map[string]any{"apiVersion": "autoscaling/v2", "kind": w.kind, "metadata": meta(w.target, w.namespace, nil), "spec": spec}
			} else {
				spec["replicas"] = floor
				p = map[string]any{"apiVersion": "apps/v1", "kind": w.kind, "metadata": meta(w.target, w.namespace, nil), "spec": spec}
			}
			y, err := yaml.Marshal(p)
			if err != nil {
				return out, err
			}
			file := strings.ToLower(w.kind) + "-" + w.target + ".yaml"
			head := []string{fmt.Sprintf("Merge at %s: %s %s's floor to %d (events: %s).", w.when(raise), verb, w.target, floor, strings.Join(w.events, ", "))}
			out.files = append(out.files, File{Path: path.Join(dir, file), Data: withComments(append(head, w.rationale...), y)},
				component(dir, append(head, "A Component: add this directory to the overlay's components at that time;",
					"the restore component (or reverting the raise) takes the floor back."), []string{file}, nil, nil))
			out.refs = append(out.refs, record.PatchFile{Path: path.Join(dir, file), Target: w.kind + " " + nsName(w.namespace, w.target), Rationale: w.rationale})
			fmt.Fprintf(&sched, "%s\t%s\t%s\t%s\n", w.when(raise), verb, dir, nsName(w.namespace, w.target))
		}
	}
	out.files = append(out.files, File{Path: "prescale/schedule.tsv", Data: sched.Bytes()})
	return out, nil
}

// kedaPrescale writes prescale/: one KEDA ScaledObject per HPA
// (keda.sh/v1alpha1) that takes the HPA over (the
// scaledobject.keda.sh/transfer-hpa-ownership annotation with
// advanced.horizontalPodAutoscalerConfig.name) and carries its resource
// metrics as cpu/memory triggers plus a cron trigger per window (KEDA's
// cron scaler: start, end, desiredReplicas, timezone).
func kedaPrescale(plan *scenarios.Plan, rep *record.Review, ws []*window) (prescaleOut, error) {
	var out prescaleOut
	byTarget := map[string][]*window{}
	var order []string
	for _, w := range ws {
		if w.kind != "HorizontalPodAutoscaler" {
			return out, fmt.Errorf("--prescale-with keda: service %s has no HPA (it scales %s %s); KEDA would create one; use --prescale-with cronjob or git", w.service, w.kind, w.target)
		}
		k := w.namespace + "/" + w.target
		if _, ok := byTarget[k]; !ok {
			order = append(order, k)
		}
		byTarget[k] = append(byTarget[k], w)
	}
	var resources []string
	for _, k := range order {
		tw := byTarget[k]
		svc := plan.Service(tw[0].service)
		if svc == nil || svc.HPA == nil {
			return out, fmt.Errorf("--prescale-with keda: service %s has no HPA in the plan", tw[0].service)
		}
		spec := svc.HPA
		for _, rec := range rep.Recommendations {
			if rec.Service == svc.Name && rec.HPA != nil {
				spec = rec.HPA // the proposed HPA, as the hpa component would make it
			}
		}
		var triggers []any
		for i := range spec.Metrics {
			t, err := kedaResourceTrigger(&spec.Metrics[i])
			if err != nil {
				return out, fmt.Errorf("--prescale-with keda: HPA %s metrics[%d]: %w; use --prescale-with cronjob or git", tw[0].target, i, err)
			}
			triggers = append(triggers, t)
		}
		maxR := spec.MaxReplicas
		for _, w := range tw {
			maxR = max(maxR, w.maxTo)
			triggers = append(triggers, map[string]any{
				"type": "cron", "name": "prescale-" + strings.Join(w.events, "-"),
				"metadata": map[string]any{
					"timezone": "Etc/UTC", "start": w.raiseSchedule(), "end": w.restoreSchedule(),
					"desiredReplicas": strconv.Itoa(int(w.to)),
				},
			})
		}
		hpaCfg := map[string]any{"name": tw[0].target}
		if spec.Behavior != nil {
			hpaCfg["behavior"] = spec.Behavior
		}
		so := map[string]any{"minReplicaCount": 1, "maxReplicaCount": maxR,
			"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": svc.WorkloadRef.Kind, "name": svc.WorkloadRef.Name},
			"advanced":       map[string]any{"horizontalPodAutoscalerConfig": hpaCfg},
			"triggers":       triggers,
		}
		if spec.MinReplicas != nil {
			so["minReplicaCount"] = *spec.MinReplicas
		}
		md := meta(svc.WorkloadRef.Name, svc.Namespace, map[string]any{"app.kubernetes.io/managed-by": "headroom"})
		md["annotations"] = map[string]any{"scaledobject.keda.sh/transfer-hpa-ownership": "true"}
		obj := map[string]any{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": md, "spec": so}
		js, err := json.Marshal(obj)
		if err != nil {
			return out, err
		}
		y, err := yaml.JSONToYAML(js)
		if err != nil {
			return out, err
		}
		head := []string{
			fmt.Sprintf("KEDA takes HPA %s over (transfer-hpa-ownership) and scales %s by its metrics, with a floor of", tw[0].target, svc.WorkloadRef.Name),
			"desiredReplicas during each cron window. Remove the HPA from your repository when this is merged.",
		}
		dated := false
		for _, w := range tw {
			head = append(head, fmt.Sprintf("window %s: %d replicas from %s to %s", w.name(), w.to, w.when(true), w.when(false)))
			head = append(head, w.rationale...)
			dated = dated || w.dated
		}
		if dated {
			head = append(head, "KEDA's cron schedules have no year: delete a dated trigger after its event, or it fires again next year.")
		}
		f := File{Path: "prescale/scaledobject-" + svc.WorkloadRef.Name + ".yaml", Data: withComments(head, y)}
		out.files = append(out.files, f)
		resources = append(resources, path.Base(f.Path))
		out.refs = append(out.refs, record.PatchFile{Path: f.Path, Target: "ScaledObject " + nsName(svc.Namespace, svc.WorkloadRef.Name), Rationale: tw[0].rationale})
	}
	out.files = append(out.files, component("prescale", []string{
		"Event pre-scaling with KEDA: ScaledObjects (keda.sh/v1alpha1) with cron triggers.",
		"NEEDS KEDA (its CRDs and operator) in the cluster.",
	}, nil, resources, nil))
	out.component = true
	return out, nil
}

// kedaResourceTrigger is KEDA's cpu or memory scaler for an HPA Resource
// or ContainerResource metric (metricType Utilization or AverageValue).
func kedaResourceTrigger(m *autoscalingv2.MetricSpec) (map[string]any, error) {
	var name, container string
	var target autoscalingv2.MetricTarget
	switch {
	case m.Resource != nil:
		name, target = string(m.Resource.Name), m.Resource.Target
	case m.ContainerResource != nil:
		name, target, container = string(m.ContainerResource.Name), m.ContainerResource.Target, m.ContainerResource.Container
	default:
		return nil, fmt.Errorf("a %s metric has no KEDA trigger headroom writes (cpu and memory only)", m.Type)
	}
	if name != "cpu" && name != "memory" {
		return nil, fmt.Errorf("resource %q has no KEDA scaler (cpu and memory only)", name)
	}
	md := map[string]any{}
	var metricType string
	switch {
	case target.Type == autoscalingv2.UtilizationMetricType && target.AverageUtilization != nil:
		metricType, md["value"] = "Utilization", strconv.Itoa(int(*target.AverageUtilization))
	case target.Type == autoscalingv2.AverageValueMetricType && target.AverageValue != nil:
		metricType, md["value"] = "AverageValue", target.AverageValue.String()
	default:
		return nil, fmt.Errorf("target type %q is not Utilization or AverageValue", target.Type)
	}
	if container != "" {
		md["containerName"] = container
	}
	return map[string]any{"type": name, "metricType": metricType, "metadata": md}, nil
}
