package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/headroom-dev/headroom/model"
)

func TestParseKubeProxy(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want model.BalancingPolicy
		why  string
	}{
		{"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: \"\"\n", model.BalanceRandom, "iptables, the default"},
		{"mode: iptables\n", model.BalanceRandom, "iptables mode"},
		{"mode: nftables\n", model.BalanceRandom, "nftables mode"},
		{"mode: ipvs\nipvs:\n  scheduler: \"\"\n", model.BalanceRoundRobin, "scheduler rr, the default"},
		{"mode: ipvs\nipvs:\n  scheduler: rr\n", model.BalanceRoundRobin, "scheduler rr"},
		{"mode: ipvs\nipvs:\n  scheduler: lc\n", model.BalanceLeastConnection, "scheduler lc"},
		{"mode: ipvs\nipvs:\n  scheduler: wlc\n", model.BalanceLeastConnection, "scheduler wlc"},
		{"mode: ipvs\nipvs:\n  scheduler: sh\n", model.BalanceRandom, "hashes clients"},
		{"mode: kernelspace\n", model.BalanceRandom, "does not know"},
		{"{{{", model.BalanceRandom, "no readable KubeProxyConfiguration"},
	} {
		got := parseKubeProxy(map[string]string{"config.conf": tc.conf, "kubeconfig.conf": "x"})
		if got.policy != tc.want || !strings.Contains(got.why, tc.why) {
			t.Errorf("%q: %s (%s), want %s with %q", tc.conf, got.policy, got.why, tc.want, tc.why)
		}
	}
}

func kubeProxyConfigMap(conf string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-proxy"}, Data: map[string]string{"config.conf": conf}}
}

// TestDiscover_Balancing reads each workload's policy from client-go
// fakes: a mesh sidecar wins over kube-proxy, kube-proxy's ipvs scheduler
// sets the rest, sessionAffinity ClientIP reads as random, and an
// unreadable kube-proxy ConfigMap leaves the default with the reason.
func TestDiscover_Balancing(t *testing.T) {
	withPod := func(name string, labels, ann map[string]string) runtime.Object {
		d := deployment("ns", name, ptr[int32](2), corev1.Container{Name: name})
		d.Spec.Template.Labels, d.Spec.Template.Annotations = labels, ann
		return d
	}
	objs := []runtime.Object{
		kubeProxyConfigMap("mode: ipvs\nipvs:\n  scheduler: lc\n"),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", Annotations: map[string]string{"linkerd.io/inject": "enabled"}}},
		withPod("envoy", map[string]string{"app": "envoy"}, map[string]string{"sidecar.istio.io/inject": "true", "linkerd.io/inject": "disabled"}),
		withPod("linkerd", map[string]string{"app": "linkerd"}, nil),
		withPod("plain", map[string]string{"app": "plain"}, map[string]string{"linkerd.io/inject": "disabled"}),
		withPod("sticky", map[string]string{"app": "sticky"}, map[string]string{"linkerd.io/inject": "disabled"}),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sticky"}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "sticky"}, SessionAffinity: corev1.ServiceAffinityClientIP}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "plain"}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "plain"}, SessionAffinity: corev1.ServiceAffinityNone}},
	}
	d, err := Discover(context.Background(), kubefake.NewClientset(objs...), fakeDynamic(vpaNotFound), "ns")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		policy model.BalancingPolicy
		why    string
	}{
		"envoy":   {model.BalanceLeastRequest, "Istio sidecar"},
		"linkerd": {model.BalanceLeastRequest, "Linkerd proxy"},
		"plain":   {model.BalanceLeastConnection, "ipvs mode with scheduler lc"},
		"sticky":  {model.BalanceRandom, "sessionAffinity: ClientIP"},
	}
	for _, ds := range d.Services {
		w := want[ds.Service.Name]
		lb := ds.Service.LoadBalancing
		if lb == nil || model.BalancingPolicy(lb.Policy) != w.policy || ds.balancing == nil || !strings.Contains(ds.balancing.text, w.why) {
			t.Errorf("%s: loadBalancing %+v (%v), want %s because of %q", ds.Service.Name, lb, ds.balancing, w.policy, w.why)
		}
	}
	out, err := d.WritePlan()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"policy: least-connection", "# Read from the cluster: kube-proxy runs in ipvs mode with scheduler lc", "not discoverable without tracing"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("the discovered plan lacks %q:\n%s", s, out)
		}
	}
}

// A forbidden kube-proxy ConfigMap and Service list leave the default,
// saying why; another error listing Services is returned.
func TestDiscover_BalancingForbidden(t *testing.T) {
	forbid := func(verb, resource string) k8stesting.ReactionFunc {
		return func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("RBAC"))
		}
	}
	kube := kubefake.NewClientset(kubeProxyConfigMap("mode: ipvs\n"), deployment("ns", "api", ptr[int32](1), corev1.Container{Name: "api"}))
	kube.PrependReactor("get", "configmaps", forbid("get", "configmaps"))
	kube.PrependReactor("list", "services", forbid("list", "services"))
	d, err := Discover(context.Background(), kube, fakeDynamic(vpaNotFound), "ns")
	if err != nil {
		t.Fatal(err)
	}
	lb := d.Services[0].Service.LoadBalancing
	if lb == nil || lb.Policy != "random" || !strings.Contains(d.Services[0].balancing.text, "absent or not readable") {
		t.Errorf("loadBalancing %+v, note %+v: want random because kube-proxy's ConfigMap is unreadable", lb, d.Services[0].balancing)
	}
	if !strings.Contains(strings.Join(d.Notes, "\n"), "listing Services in ns is forbidden") {
		t.Errorf("notes %q lack the forbidden Service list", d.Notes)
	}
	kube = kubefake.NewClientset(deployment("ns", "api", ptr[int32](1), corev1.Container{Name: "api"}))
	kube.PrependReactor("list", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewInternalError(errors.New("etcd down"))
	})
	if _, err := Discover(context.Background(), kube, fakeDynamic(vpaNotFound), "ns"); err == nil || !strings.Contains(err.Error(), "list services in ns") {
		t.Errorf("err = %v, want the failed Service list", err)
	}
}
