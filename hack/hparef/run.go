package main

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/headroom-dev/headroom/sim/hpa"
)

// world holds the running traces by namespace.
type world struct {
	mu   sync.Mutex
	runs map[string]*traceRun
}

func (w *world) run(ns string) *traceRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.runs[ns]
}

func (w *world) add(r *traceRun) {
	w.mu.Lock()
	w.runs[r.ns] = r
	w.mu.Unlock()
}

// Keys of the metrics a sync read.
const (
	keyResource = "resource"
	keyPods     = "pods/"
	keyObject   = "object/"
	keyExternal = "external/"
)

// traceRun is one trace in progress: the load state the proxy serves and
// the syncs the recorder saw.
type traceRun struct {
	def     *trace
	ns      string
	kubelet *kubelet

	mu     sync.Mutex
	epoch  time.Time // the trace's zero, a whole second
	start  time.Time // HPA creation
	t      float64   // trace time of the last tick
	stamp  time.Time // sample timestamp of the last tick, a whole second
	open   bool      // syncs are recorded
	syncs  []*syncRec
	notify chan struct{}
	errs   []string
}

// syncRec is what one sync of the HPA read and wrote.
type syncRec struct {
	getAt          time.Time
	specReplicas   int32
	statusReplicas int32
	scaleErr       string
	retry          bool // the last scale PUT conflicted: the next GET is its retry
	conflicts      int

	served        map[string]hpa.SequenceMetric
	resource      *resourceServed
	lastMetricsAt time.Time
	pods          []hpa.SequencePod
	podsAt        time.Time

	putReplicas *int32
	putAt       time.Time
	putCode     int

	status     *autoscalingv2.HorizontalPodAutoscalerStatus
	statusCode int
}

func (r *traceRun) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *traceRun) current() *syncRec {
	if !r.open || len(r.syncs) == 0 {
		return nil
	}
	return r.syncs[len(r.syncs)-1]
}

// syncStart records the GET of the scale subresource as a new sync, unless
// it is the controller's re-read after a conflicting update; it returns the
// sync a new GET opened, nil otherwise.
func (r *traceRun) syncStart(at time.Time) *syncRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.open {
		return nil
	}
	if cur := r.current(); cur != nil && cur.retry {
		cur.retry = false
		return nil
	}
	s := &syncRec{getAt: at, served: map[string]hpa.SequenceMetric{}}
	s.pods, s.podsAt = r.podView(), time.Now()
	r.syncs = append(r.syncs, s)
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return s
}

// scaleRead records the scale the controller read in sync s.
func (r *traceRun) scaleRead(s *syncRec, code int, body []byte) {
	if s == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if code != http.StatusOK {
		s.scaleErr = fmt.Sprintf("scale GET answered %d", code)
	} else if sc, err := decodeScale("", body); err != nil {
		s.scaleErr = err.Error()
	} else {
		s.specReplicas, s.statusReplicas = sc.Spec.Replicas, sc.Status.Replicas
	}
}

func (r *traceRun) scaleConflict() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.current(); cur != nil {
		cur.retry = true
		cur.conflicts++
	}
}

func (r *traceRun) scaleWritten(at time.Time, code int, contentType string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.current()
	if cur == nil {
		return
	}
	if code == http.StatusConflict {
		return // scaleConflict has marked the retry
	}
	sc, err := decodeScale(contentType, body)
	if err != nil {
		r.fail("sync at %s: scale PUT: %v", at.Format(time.RFC3339Nano), err)
		return
	}
	n := sc.Spec.Replicas
	cur.putReplicas, cur.putAt, cur.putCode = &n, at, code
}

func (r *traceRun) statusWritten(at time.Time, code int, contentType string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.current()
	if cur == nil {
		return
	}
	h, err := decodeHPA(contentType, body)
	if err != nil {
		r.fail("sync at %s: status PUT: %v", at.Format(time.RFC3339Nano), err)
		return
	}
	cur.status, cur.statusCode = &h.Status, code
}

// tick moves the trace to time now: the load functions are evaluated at
// it and the sample timestamp is its whole second.
func (r *traceRun) tick(now time.Time) {
	r.mu.Lock()
	r.t = now.Sub(r.start).Seconds()
	r.stamp = now.Truncate(time.Second)
	r.mu.Unlock()
}

// resourceServed is a PodMetricsList as served: per pod and container,
// so that each Resource or ContainerResource metric of the spec can take
// its own resource and container from it.
type resourceServed struct {
	err  bool
	pods []podUsage
}

type podUsage struct {
	pod            string
	timeS, windowS int64
	containers     []containerUsage
}

type containerUsage struct {
	name          string
	cpuMilli, mem int64
}

// recordResource keeps a resource metrics answer in the current sync;
// r.mu is held.
func (r *traceRun) recordResource(res *resourceServed) {
	cur := r.current()
	if cur == nil {
		return
	}
	if cur.resource != nil && !reflect.DeepEqual(cur.resource, res) {
		r.fail("sync at %s: resource metrics served twice with different values", cur.getAt.Format(time.RFC3339Nano))
	}
	cur.resource = res
	cur.lastMetricsAt = time.Now()
	cur.pods, cur.podsAt = r.podView(), cur.lastMetricsAt
}

// sample converts the answer for one Resource or ContainerResource metric
// (upstream's resource metrics client sums a pod's containers, or takes
// the named container).
func (res *resourceServed) metric(name corev1.ResourceName, container string) hpa.SequenceMetric {
	out := hpa.SequenceMetric{Error: res.err}
	for _, p := range res.pods {
		var v int64
		for _, c := range p.containers {
			if container != "" && c.name != container {
				continue
			}
			if name == corev1.ResourceMemory {
				v += c.mem * 1000
			} else {
				v += c.cpuMilli
			}
		}
		out.Samples = append(out.Samples, hpa.SequenceSample{Pod: p.pod, Milli: v, TimeS: p.timeS, WindowS: p.windowS})
	}
	return out
}

// serveResource answers a PodMetricsList read (metrics.k8s.io) for the
// Running pods the selector matches; r.mu is held.
func (r *traceRun) serveResource(pods []*corev1.Pod, sel labels.Selector, t float64, stamp time.Time) (int, any) {
	d := r.def
	ts := metav1.NewTime(stamp)
	window := int64(syncPeriodS)
	state := metricsOK
	if d.resource != nil {
		state = d.resource(t)
	}
	res := &resourceServed{err: state == metricsError}
	if state == metricsError {
		r.recordResource(res)
		return http.StatusServiceUnavailable, "metrics unavailable"
	}
	list := podMetricsList{Kind: "PodMetricsList", APIVersion: "metrics.k8s.io/v1beta1", Items: []podMetrics{}}
	for _, p := range pods {
		if state == metricsEmpty || p.Status.Phase != corev1.PodRunning || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		cpu := d.cpu(t)
		if d.unreadyCPU > 0 && !podReady(p) {
			cpu = d.unreadyCPU
		}
		var mem int64 = 32 << 20
		if d.memory != nil {
			mem = d.memory(t)
		}
		pm := podMetrics{Metadata: metav1.ObjectMeta{Name: p.Name, Namespace: r.ns}, Timestamp: ts, Window: metav1.Duration{Duration: time.Duration(window) * time.Second},
			Containers: []containerMetrics{{Name: "app", Usage: usage(cpu, mem)}}}
		pu := podUsage{pod: p.Name, timeS: stamp.Unix() - r.epoch.Unix(), windowS: window, containers: []containerUsage{{"app", cpu, mem}}}
		if d.sidecar {
			pm.Containers = append(pm.Containers, containerMetrics{Name: "sidecar", Usage: usage(d.sidecarCPU, 16<<20)})
			pu.containers = append(pu.containers, containerUsage{"sidecar", d.sidecarCPU, 16 << 20})
		}
		list.Items = append(list.Items, pm)
		res.pods = append(res.pods, pu)
	}
	r.recordResource(res)
	return http.StatusOK, &list
}

// serve answers a metric read and records it in the current sync.
func (r *traceRun) serve(key string, sel labels.Selector) (int, any) {
	pods := r.kubelet.pods(r.ns)
	r.mu.Lock()
	defer r.mu.Unlock()
	t, stamp := r.t, r.stamp
	d := r.def
	var rec hpa.SequenceMetric
	var code int
	var obj any
	ts := metav1.NewTime(stamp)
	window := int64(syncPeriodS)
	switch {
	case key == keyResource:
		return r.serveResource(pods, sel, t, stamp)
	case len(key) > len(keyPods) && key[:len(keyPods)] == keyPods:
		list := metricValueList()
		for _, p := range pods {
			if p.Status.Phase != corev1.PodRunning || !sel.Matches(labels.Set(p.Labels)) || d.pods == nil {
				continue
			}
			v := d.pods(t)
			list.Items = append(list.Items, metricValue{DescribedObject: corev1.ObjectReference{Kind: "Pod", Namespace: r.ns, Name: p.Name, APIVersion: "/v1"},
				Metric: metricID{Name: podsMetricName}, Timestamp: ts, WindowSeconds: &window, Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
			rec.Samples = append(rec.Samples, hpa.SequenceSample{Pod: p.Name, Milli: v, TimeS: stamp.Unix() - r.epoch.Unix(), WindowS: window})
		}
		code, obj = http.StatusOK, list
	case len(key) > len(keyObject) && key[:len(keyObject)] == keyObject:
		if d.object == nil || key != keyObject+"services/"+objectName+"/"+objectMetricName {
			code, obj = http.StatusNotFound, "no such object metric "+key
			rec.Error = true
			break
		}
		v := d.object(t)
		list := metricValueList()
		list.Items = append(list.Items, metricValue{DescribedObject: corev1.ObjectReference{Kind: objectKind, Namespace: r.ns, Name: objectName, APIVersion: "/v1"},
			Metric: metricID{Name: objectMetricName}, Timestamp: ts, WindowSeconds: &window, Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
		rec.Value = &v
		code, obj = http.StatusOK, list
	case len(key) > len(keyExternal) && key[:len(keyExternal)] == keyExternal:
		if d.external == nil || (d.extDown != nil && d.extDown(t)) {
			code, obj = http.StatusServiceUnavailable, "external metrics unavailable"
			rec.Error = true
			break
		}
		list := externalList{Kind: "ExternalMetricValueList", APIVersion: "external.metrics.k8s.io/v1beta1", Items: []externalValue{}}
		for i, v := range d.external(t) {
			list.Items = append(list.Items, externalValue{MetricName: externalMetricName, MetricLabels: map[string]string{"queue": "orders", "shard": strconv.Itoa(i)},
				Timestamp: ts, WindowSeconds: &window, Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
			rec.Series = append(rec.Series, v)
		}
		code, obj = http.StatusOK, &list
	}
	if cur := r.current(); cur != nil {
		if prev, ok := cur.served[key]; ok && !reflect.DeepEqual(prev, rec) {
			r.fail("sync at %s: metric %s served twice with different values", cur.getAt.Format(time.RFC3339Nano), key)
		}
		cur.served[key] = rec
		cur.lastMetricsAt = time.Now()
		cur.pods, cur.podsAt = r.podViewOf(pods), cur.lastMetricsAt
	}
	return code, obj
}

func usage(cpuMilli, memBytes int64) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(cpuMilli, resource.DecimalSI), corev1.ResourceMemory: *resource.NewQuantity(memBytes, resource.BinarySI)}
}

func (r *traceRun) podView() []hpa.SequencePod { return r.podViewOf(r.kubelet.pods(r.ns)) }

// podViewOf converts pods to the recorded form, times on the trace clock.
func (r *traceRun) podViewOf(pods []*corev1.Pod) []hpa.SequencePod {
	out := make([]hpa.SequencePod, 0, len(pods))
	for _, p := range pods {
		sp := hpa.SequencePod{Name: p.Name, Phase: string(p.Status.Phase), Deleting: p.DeletionTimestamp != nil}
		if sp.Phase == "" {
			sp.Phase = string(corev1.PodPending)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				sp.Ready = string(c.Status)
				sp.ReadyS = c.LastTransitionTime.Unix() - r.epoch.Unix()
			}
		}
		if p.Status.StartTime != nil {
			s := p.Status.StartTime.Unix() - r.epoch.Unix()
			sp.StartS = &s
		}
		out = append(out, sp)
	}
	return out
}

// JSON forms of the metrics APIs' lists (k8s.io/metrics types, written out
// here so that headroom's module does not depend on k8s.io/metrics).
type podMetricsList struct {
	Kind       string       `json:"kind"`
	APIVersion string       `json:"apiVersion"`
	Items      []podMetrics `json:"items"`
}

type podMetrics struct {
	Metadata   metav1.ObjectMeta  `json:"metadata"`
	Timestamp  metav1.Time        `json:"timestamp"`
	Window     metav1.Duration    `json:"window"`
	Containers []containerMetrics `json:"containers"`
}

type containerMetrics struct {
	Name  string              `json:"name"`
	Usage corev1.ResourceList `json:"usage"`
}

type valueList struct {
	Kind       string        `json:"kind"`
	APIVersion string        `json:"apiVersion"`
	Items      []metricValue `json:"items"`
}

func metricValueList() *valueList {
	return &valueList{Kind: "MetricValueList", APIVersion: "custom.metrics.k8s.io/v1beta2", Items: []metricValue{}}
}

type metricID struct {
	Name     string                `json:"name"`
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

type metricValue struct {
	DescribedObject corev1.ObjectReference `json:"describedObject"`
	Metric          metricID               `json:"metric"`
	Timestamp       metav1.Time            `json:"timestamp"`
	WindowSeconds   *int64                 `json:"windowSeconds,omitempty"`
	Value           resource.Quantity      `json:"value"`
}

type externalList struct {
	Kind       string          `json:"kind"`
	APIVersion string          `json:"apiVersion"`
	Items      []externalValue `json:"items"`
}

type externalValue struct {
	MetricName    string            `json:"metricName"`
	MetricLabels  map[string]string `json:"metricLabels"`
	Timestamp     metav1.Time       `json:"timestamp"`
	WindowSeconds *int64            `json:"window,omitempty"`
	Value         resource.Quantity `json:"value"`
}

// runTrace sets up the trace's namespace, Deployment and pods, creates the
// HPA, then after each sync of it lets the load and the pods move on.
func runTrace(ctx context.Context, client kubernetes.Interface, w *world, k *kubelet, def *trace) (*hpa.Sequence, error) {
	ns := "hparef-" + def.id
	r := &traceRun{def: def, ns: ns, kubelet: k, notify: make(chan struct{}, 1)}
	r.epoch = time.Now().Truncate(time.Second)
	w.add(r)
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("%s: create namespace: %w", def.id, err)
	}
	// No service-account controller runs: the admission plugin wants the
	// namespace's default ServiceAccount to exist.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("%s: create service account: %w", def.id, err)
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deployment(def), metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("%s: create deployment: %w", def.id, err)
	}
	if err := waitInitialPods(ctx, k, ns, def.initial); err != nil {
		return nil, fmt.Errorf("%s: %w", def.id, err)
	}

	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: def.spec}
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "app"}
	r.mu.Lock()
	r.start = time.Now()
	r.t, r.stamp, r.open = 0, r.start.Truncate(time.Second), true
	r.mu.Unlock()
	created, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, h, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: create HPA: %w", def.id, err)
	}
	end := r.start.Add(time.Duration(def.duration * float64(time.Second)))
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.notify:
		case <-time.After(3 * syncPeriodS * time.Second):
		}
		// Let the sync finish (its scale and status writes) and the
		// deployment and replica-set controllers act on it, then move.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(400 * time.Millisecond):
		}
		r.tick(time.Now())
		if err := k.step(ctx, ns, def.startDelay, def.readyDelay); err != nil {
			return nil, fmt.Errorf("%s: %w", def.id, err)
		}
	}
	// Syncs that started before the end may still be writing.
	time.Sleep(1500 * time.Millisecond)
	r.mu.Lock()
	r.open = false
	r.mu.Unlock()
	if err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Delete(ctx, "app", metav1.DeleteOptions{}); err != nil {
		return nil, fmt.Errorf("%s: delete HPA: %w", def.id, err)
	}
	return r.sequence(created)
}

// waitInitialPods makes the Deployment's first pods Running and Ready at
// once, before the HPA exists.
func waitInitialPods(ctx context.Context, k *kubelet, ns string, want int32) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := k.step(ctx, ns, 0, 0); err != nil {
			return err
		}
		ready := 0
		for _, p := range k.pods(ns) {
			if podReady(p) && p.DeletionTimestamp == nil {
				ready++
			}
		}
		if ready == int(want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d initial pods ready after 90s", ready, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// sequence turns the recorded syncs into a replayable sequence.
func (r *traceRun) sequence(created *autoscalingv2.HorizontalPodAutoscaler) (*hpa.Sequence, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("%s: %v", r.def.id, r.errs)
	}
	seq := &hpa.Sequence{ID: r.def.id, Description: r.def.desc, Epoch: r.epoch.UTC().Format(time.RFC3339), Spec: created.Spec}
	seq.Containers = []hpa.SequenceContainer{{Name: "app", Requests: map[string]string{"cpu": "100m", "memory": "64Mi"}}}
	if r.def.sidecar {
		seq.Containers = append(seq.Containers, hpa.SequenceContainer{Name: "sidecar", Requests: map[string]string{"cpu": "50m", "memory": "32Mi"}})
	}
	var status hpa.SequenceWant
	ms := metricKeys(&created.Spec)
	for i, s := range r.syncs {
		if s.scaleErr != "" {
			return nil, fmt.Errorf("%s: sync %d: %s", r.def.id, i, s.scaleErr)
		}
		at := s.getAt
		if !s.lastMetricsAt.IsZero() {
			at = s.lastMetricsAt
		}
		out := hpa.SequenceSync{SpecReplicas: s.specReplicas, StatusReplicas: s.statusReplicas, Pods: s.pods}
		if s.putReplicas != nil && s.putCode == http.StatusOK {
			at = s.putAt
		} else if s.putReplicas != nil {
			return nil, fmt.Errorf("%s: sync %d: scale PUT answered %d", r.def.id, i, s.putCode)
		}
		out.AtMS = at.Sub(r.epoch).Milliseconds()
		if len(s.served) > 0 || s.resource != nil {
			for j, k := range ms {
				if k == keyResource {
					if s.resource == nil {
						return nil, fmt.Errorf("%s: sync %d: resource metrics not read while others were (%v)", r.def.id, i, keys(s.served))
					}
					name, container := resourceOf(&created.Spec.Metrics[j])
					out.Metrics = append(out.Metrics, s.resource.metric(name, container))
					continue
				}
				m, ok := s.served[k]
				if !ok {
					return nil, fmt.Errorf("%s: sync %d: metric %s not read while others were (%v)", r.def.id, i, k, keys(s.served))
				}
				out.Metrics = append(out.Metrics, m)
			}
		}
		status.RescaleTo = nil
		if s.putReplicas != nil {
			n := *s.putReplicas
			status.RescaleTo = &n
		}
		status.StatusWritten = s.status != nil
		if s.status != nil {
			if s.statusCode != http.StatusOK {
				return nil, fmt.Errorf("%s: sync %d: status PUT answered %d", r.def.id, i, s.statusCode)
			}
			status.CurrentReplicas, status.DesiredReplicas = s.status.CurrentReplicas, s.status.DesiredReplicas
			status.LastScaleS = nil
			if s.status.LastScaleTime != nil {
				v := s.status.LastScaleTime.Unix() - r.epoch.Unix()
				status.LastScaleS = &v
			}
			status.Conditions = status.Conditions[:0:0]
			for _, c := range s.status.Conditions {
				status.Conditions = append(status.Conditions, hpa.SequenceCondition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason})
			}
		}
		out.Want = status
		// The controller stamps lastScaleTime with its own clock a few
		// milliseconds after the scale update's answer left the proxy (it
		// sets conditions, records an event and the scale event first), and
		// the API keeps whole seconds. When the two readings straddle a
		// second, the controller's own stamp says when it rescaled: the
		// sync's time is clamped into that second.
		if status.RescaleTo != nil && s.status != nil && status.LastScaleS != nil {
			lo := *status.LastScaleS * 1000
			out.AtMS = min(max(out.AtMS, lo), lo+999)
		}
		if out.Want.Conditions == nil {
			out.Want.Conditions = []hpa.SequenceCondition{}
		}
		if r.kubelet.eventsBefore(r.ns, s.podsAt, 150*time.Millisecond) {
			fmt.Printf("hparef: %s sync %d: a pod event arrived within 150ms before the pod read (the controller's informer may have lagged)\n", r.def.id, i)
		}
		seq.Syncs = append(seq.Syncs, out)
	}
	return seq, nil
}

// metricKeys are the served-metric keys of the spec's metrics, in order.
func metricKeys(s *autoscalingv2.HorizontalPodAutoscalerSpec) []string {
	var out []string
	for _, m := range s.Metrics {
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
			out = append(out, keyResource)
		case autoscalingv2.PodsMetricSourceType:
			out = append(out, keyPods+m.Pods.Metric.Name)
		case autoscalingv2.ObjectMetricSourceType:
			out = append(out, keyObject+"services/"+m.Object.DescribedObject.Name+"/"+m.Object.Metric.Name)
		case autoscalingv2.ExternalMetricSourceType:
			out = append(out, keyExternal+m.External.Metric.Name)
		}
	}
	return out
}

func resourceOf(m *autoscalingv2.MetricSpec) (corev1.ResourceName, string) {
	if m.ContainerResource != nil {
		return m.ContainerResource.Name, m.ContainerResource.Container
	}
	return m.Resource.Name, ""
}

func keys(m map[string]hpa.SequenceMetric) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
