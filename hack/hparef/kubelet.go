package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// The fake kubelet plays the node agent for the pods the replica-set
// controller creates: it binds them to fake nodes, marks them Running (with
// a start time) and later Ready, and completes their deletion. It never runs
// a container. It acts on a namespace only when that trace's loop asks it to
// (right after a sync of the trace's HPA), so pod states change between
// syncs, never during one.

const nodeCount = 4

// kubelet watches the pods of every trace namespace.
type kubelet struct {
	client kubernetes.Interface
	lister listersv1.PodLister

	mu     sync.Mutex
	events map[string][]time.Time // namespace -> times pod events arrived
}

func newKubelet(ctx context.Context, client kubernetes.Interface) (*kubelet, error) {
	k := &kubelet{client: client, events: map[string][]time.Time{}}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "hparef=trace" }))
	inf := factory.Core().V1().Pods()
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.observe(ctx, obj) },
		UpdateFunc: func(_, obj any) { k.observe(ctx, obj) },
		DeleteFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				k.note(p.Namespace)
			}
		},
	}); err != nil {
		return nil, err
	}
	k.lister = inf.Lister()
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("pod informer %v did not sync", typ)
		}
	}
	for i := 0; i < nodeCount; i++ {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName(i), Labels: map[string]string{"hparef": "node"}}}
		if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create node %s: %w", node.Name, err)
		}
	}
	return k, nil
}

func nodeName(i int) string { return fmt.Sprintf("hparef-node-%d", i) }

func (k *kubelet) note(ns string) {
	k.mu.Lock()
	k.events[ns] = append(k.events[ns], time.Now())
	k.mu.Unlock()
}

// eventsBefore reports whether a pod event of ns arrived in the d before
// at (or up to 20ms after it): the controller's informer may not have had
// it yet when it listed the pods.
func (k *kubelet) eventsBefore(ns string, at time.Time, d time.Duration) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range k.events[ns] {
		if e.After(at.Add(-d)) && e.Before(at.Add(20*time.Millisecond)) {
			return true
		}
	}
	return false
}

// observe completes a deletion at once: a bound pod's graceful deletion
// waits for its kubelet to confirm, and this kubelet has nothing to stop.
func (k *kubelet) observe(ctx context.Context, obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	k.note(p.Namespace)
	if p.DeletionTimestamp == nil {
		return
	}
	zero := int64(0)
	uid := p.UID
	go func() {
		err := k.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
			fmt.Printf("hparef: kubelet: delete %s/%s: %v\n", p.Namespace, p.Name, err)
		}
	}()
}

// pods returns the namespace's pods sorted by name.
func (k *kubelet) pods(ns string) []*corev1.Pod {
	ps, err := k.lister.Pods(ns).List(everything)
	if err != nil {
		return nil
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// step advances the namespace's pods: bind unbound pods; start pods bound
// for startDelay; make Ready pods that ran for readyDelay. Times are
// seconds; a pod's clock starts at its creation.
func (k *kubelet) step(ctx context.Context, ns string, startDelay, readyDelay float64) error {
	now := time.Now()
	for i, p := range k.pods(ns) {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		if p.Spec.NodeName == "" {
			b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns, UID: p.UID}, Target: corev1.ObjectReference{Kind: "Node", Name: nodeName(i % nodeCount)}}
			if err := k.client.CoreV1().Pods(ns).Bind(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("bind %s/%s: %w", ns, p.Name, err)
			}
		}
		switch {
		case p.Status.Phase == corev1.PodPending && now.Sub(p.CreationTimestamp.Time).Seconds() >= startDelay:
			if err := k.setStatus(ctx, p, now, readyDelay <= 0); err != nil {
				return err
			}
		case p.Status.Phase == corev1.PodRunning && !podReady(p) && p.Status.StartTime != nil && now.Sub(p.Status.StartTime.Time).Seconds() >= readyDelay:
			if err := k.setStatus(ctx, p, now, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// setStatus writes status Running with the Ready condition ready; the start
// time is set on the first call, the Ready transition time when it changes.
func (k *kubelet) setStatus(ctx context.Context, p *corev1.Pod, now time.Time, ready bool) error {
	fresh, err := k.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if fresh.DeletionTimestamp != nil {
		return nil
	}
	t := metav1.NewTime(now)
	st := fresh.Status.DeepCopy()
	if st.StartTime == nil {
		st.StartTime = &t
	}
	st.Phase = corev1.PodRunning
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	set := func(typ corev1.PodConditionType, s corev1.ConditionStatus) {
		for i := range st.Conditions {
			if st.Conditions[i].Type == typ {
				if st.Conditions[i].Status != s {
					st.Conditions[i].Status = s
					st.Conditions[i].LastTransitionTime = t
				}
				return
			}
		}
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: typ, Status: s, LastTransitionTime: t})
	}
	set(corev1.PodInitialized, corev1.ConditionTrue)
	set(corev1.ContainersReady, status)
	set(corev1.PodReady, status)
	fresh.Status = *st
	_, err = k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted meanwhile, or retried on the next step
	}
	return err
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// deployment is the trace's scale target: one Deployment "app" whose pods
// request 100m CPU and 64Mi memory (the sidecar 50m and 32Mi).
func deployment(tr *trace) *appsv1.Deployment {
	labels := map[string]string{"app": "app", "hparef": "trace"}
	req := func(cpu, mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	containers := []corev1.Container{{Name: "app", Image: "registry.invalid/hparef:none", Resources: req("100m", "64Mi")}}
	if tr.sidecar {
		containers = append(containers, corev1.Container{Name: "sidecar", Image: "registry.invalid/hparef:none", Resources: req("50m", "32Mi")})
	}
	replicas := tr.initial
	no := false
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "app"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: containers, AutomountServiceAccountToken: &no},
			},
		},
	}
}
