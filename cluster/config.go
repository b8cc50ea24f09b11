package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// Flags are kubectl's connection flags.
type Flags struct {
	// Kubeconfig is --kubeconfig: one file that replaces the KUBECONFIG
	// search. Empty means KUBECONFIG, then ~/.kube/config.
	Kubeconfig string
	// Context is --context: the kubeconfig context to use instead of the
	// current one.
	Context string
	// Namespace is -n/--namespace. Empty means the context's namespace, or
	// "default".
	Namespace string
}

// clientConfig is the kubeconfig that f selects, resolved lazily as kubectl
// does (clientcmd's deferred loading).
func (f Flags) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: f.Context}
	overrides.Context.Namespace = f.Namespace
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// RESTConfig returns the connection settings and the namespace f selects.
func (f Flags) RESTConfig() (*rest.Config, string, error) {
	cc := f.clientConfig()
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig namespace: %w", err)
	}
	cfg.UserAgent = "headroom"
	return cfg, ns, nil
}

// Clients are the API clients headroom uses, built from one rest.Config so
// tests can substitute fakes field by field.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources from the server's discovery data.
	Mapper meta.RESTMapper
	// Namespace is the one Flags selected.
	Namespace string
}

// NewClients connects as f says.
func NewClients(f Flags) (*Clients, error) {
	cfg, ns, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &Clients{Kube: kube, Dynamic: dyn, Mapper: mapper, Namespace: ns}, nil
}
