package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// This file reads a service's load-balancing policy where the cluster shows
// it, in this order:
//
//  1. A service mesh sidecar balances client-side, whatever kube-proxy
//     does: Istio's Envoy (pod annotation sidecar.istio.io/inject "true",
//     or the namespace label istio-injection=enabled) defaults to
//     LEAST_REQUEST, power of two choices (Istio's DestinationRule
//     loadBalancer simple, default LEAST_REQUEST since 1.14); Linkerd's
//     proxy (annotation linkerd.io/inject: enabled on the pod template or
//     the namespace) balances by power of two choices over an exponentially
//     weighted latency (Linkerd docs, "Load balancing"), read here as
//     least-request with two choices.
//  2. kube-proxy's mode from the kube-system/kube-proxy ConfigMap (its
//     config.conf, a KubeProxyConfiguration, as kubeadm writes it): iptables
//     (the default on Linux) and nftables pick an endpoint at random; ipvs
//     uses its scheduler (rr, the default: round-robin; lc and wlc:
//     least-connection; others are named in a note and read as the nearest
//     policy).
//  3. A Service selecting the workload with sessionAffinity ClientIP pins
//     each client to one pod: with many clients that spreads like random;
//     a note says so.
//
// Calls between services are not discoverable without tracing: a note says
// that too, and `calls:` is left for the user.

// kubeProxy is what Discover read of kube-proxy: the policy its mode
// implies and why.
type kubeProxy struct {
	policy model.BalancingPolicy
	why    string
}

// kubeProxyConfig is the part of a KubeProxyConfiguration
// (k8s.io/kube-proxy/config/v1alpha1) that says how endpoints are picked.
type kubeProxyConfig struct {
	Mode string `json:"mode"`
	IPVS struct {
		Scheduler string `json:"scheduler"`
	} `json:"ipvs"`
}

// readKubeProxy reads kube-system/kube-proxy. A missing or unreadable
// ConfigMap (no permission, a managed control plane) is not an error: the
// default, iptables, is assumed and the reason returned.
func readKubeProxy(ctx context.Context, kube kubernetes.Interface) kubeProxy {
	cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "kube-proxy", metav1.GetOptions{})
	if err != nil {
		// Absent (a managed control plane, another proxy) and forbidden
		// (discover's Role is bound in the plan's namespace only) read
		// alike, so that both give the same plan.
		reason := "is absent or not readable with these credentials"
		if !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
			reason = "could not be read (" + err.Error() + ")"
		}
		return kubeProxy{policy: model.BalanceRandom, why: fmt.Sprintf("the kube-system/kube-proxy ConfigMap %s; assumed kube-proxy in iptables mode (random endpoint)", reason)}
	}
	return parseKubeProxy(cm.Data)
}

// parseKubeProxy reads the mode and IPVS scheduler from the ConfigMap's
// data: its config.conf (kubeadm) or, failing that, its only key.
func parseKubeProxy(data map[string]string) kubeProxy {
	text, ok := data["config.conf"]
	if !ok && len(data) == 1 {
		for _, v := range data {
			text = v
		}
	}
	var c kubeProxyConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil || text == "" {
		return kubeProxy{policy: model.BalanceRandom, why: "the kube-system/kube-proxy ConfigMap holds no readable KubeProxyConfiguration; assumed iptables mode (random endpoint)"}
	}
	mode := strings.ToLower(c.Mode)
	switch mode {
	case "", "iptables", "nftables":
		if mode == "" {
			mode = "iptables, the default"
		}
		return kubeProxy{policy: model.BalanceRandom, why: fmt.Sprintf("kube-proxy runs in %s mode (kube-system/kube-proxy): each connection goes to a random endpoint", mode)}
	case "ipvs":
		s := strings.ToLower(c.IPVS.Scheduler)
		switch s {
		case "", "rr", "wrr":
			if s == "" {
				s = "rr, the default"
			}
			return kubeProxy{policy: model.BalanceRoundRobin, why: fmt.Sprintf("kube-proxy runs in ipvs mode with scheduler %s (kube-system/kube-proxy): endpoints in turn", s)}
		case "lc", "wlc", "sed", "nq":
			return kubeProxy{policy: model.BalanceLeastConnection, why: fmt.Sprintf("kube-proxy runs in ipvs mode with scheduler %s (kube-system/kube-proxy): the endpoint with the fewest connections", s)}
		}
		return kubeProxy{policy: model.BalanceRandom, why: fmt.Sprintf("kube-proxy runs in ipvs mode with scheduler %s (kube-system/kube-proxy), which hashes clients to endpoints: read as random", s)}
	}
	return kubeProxy{policy: model.BalanceRandom, why: fmt.Sprintf("kube-proxy runs in mode %q (kube-system/kube-proxy), which headroom does not know: assumed random", c.Mode)}
}

// balancingNote is the comment discover writes above a service's
// loadBalancing.
type balancingNote struct{ text string }

// discoverBalancing sets each service's loadBalancing from the mesh
// annotations, kube-proxy's mode and the Services that select it, and adds
// the reasons to its notes.
func (d *Discovery) discoverBalancing(ctx context.Context, kube kubernetes.Interface, workloads map[string]workload) error {
	proxy := readKubeProxy(ctx, kube)
	var nsMeta metav1.ObjectMeta
	if ns, err := kube.CoreV1().Namespaces().Get(ctx, d.Namespace, metav1.GetOptions{}); err == nil {
		nsMeta = ns.ObjectMeta
	}
	svcs, err := listAll(ctx, func(opts metav1.ListOptions) ([]corev1.Service, string, error) {
		l, err := kube.CoreV1().Services(d.Namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		if !apierrors.IsForbidden(err) {
			return fmt.Errorf("list services in %s: %w", d.Namespace, err)
		}
		d.Notes = append(d.Notes, fmt.Sprintf("listing Services in %s is forbidden: their sessionAffinity was not read", d.Namespace))
		svcs = nil
	}
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
	for i := range d.Services {
		ds := &d.Services[i]
		w, ok := workloads[ds.Service.WorkloadRef.Kind+"/"+ds.Service.WorkloadRef.Name]
		if !ok {
			continue
		}
		ds.setBalancing(w, nsMeta, proxy, svcs)
	}
	return nil
}

// setBalancing decides one workload's policy (see the file comment).
func (ds *DiscoveredService) setBalancing(w workload, ns metav1.ObjectMeta, proxy kubeProxy, svcs []corev1.Service) {
	ann := w.podMeta.Annotations
	var policy model.BalancingPolicy
	var why string
	switch {
	case ann["sidecar.istio.io/inject"] == "true",
		ann["sidecar.istio.io/inject"] != "false" && (ns.Labels["istio-injection"] == "enabled" || ns.Labels["istio.io/rev"] != ""):
		policy, why = model.BalanceLeastRequest, "an Istio sidecar (Envoy) balances requests to this workload: LEAST_REQUEST with two choices, Istio's default"
	case ann["linkerd.io/inject"] == "enabled",
		ann["linkerd.io/inject"] != "disabled" && ns.Annotations["linkerd.io/inject"] == "enabled":
		policy, why = model.BalanceLeastRequest, "a Linkerd proxy balances requests to this workload: power of two choices over latency, read as least-request with two choices"
	default:
		policy, why = proxy.policy, proxy.why
	}
	var sticky []string
	sel := labels.Set(w.podMeta.Labels)
	for _, s := range svcs {
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(sel) {
			continue
		}
		if s.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
			sticky = append(sticky, s.Name)
		}
	}
	if len(sticky) > 0 && policy != model.BalanceLeastRequest {
		policy = model.BalanceRandom
		why = fmt.Sprintf("Service %s pins each client IP to one pod (sessionAffinity: ClientIP); with many clients that spreads like random splitting, with few it is worse", strings.Join(sticky, ", "))
	}
	ds.Service.LoadBalancing = &scenarios.LoadBalancing{Policy: string(policy)}
	ds.balancing = &balancingNote{text: why}
}
