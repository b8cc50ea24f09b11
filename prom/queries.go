package prom

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// DefaultQueries are the templates `headroom observe` runs when the plan's
// observe: section does not override them. They assume the labels that
// the Prometheus Operator / kube-prometheus scrape configuration attaches:
//
//   - application metrics (client_golang's promhttp instrumentation:
//     http_requests_total, http_request_duration_seconds histogram) carry
//     the target pod's namespace and pod labels;
//   - cAdvisor metrics (container_cpu_usage_seconds_total,
//     container_memory_working_set_bytes) carry namespace, pod, container;
//   - kube-state-metrics carries namespace plus deployment / statefulset /
//     horizontalpodautoscaler naming the object.
//
// Pods are matched by name ($pods, see PodRegexp), not by a workload
// label, because no workload label is common to all three sources.
var DefaultQueries = scenarios.ObserveQueries{
	RequestRate:        `sum(rate(http_requests_total{namespace="$namespace",pod=~"$pods"}[$rate]))`,
	LatencyMean:        `sum(rate(http_request_duration_seconds_sum{namespace="$namespace",pod=~"$pods"}[$rate])) / sum(rate(http_request_duration_seconds_count{namespace="$namespace",pod=~"$pods"}[$rate]))`,
	LatencyBuckets:     `sum by (le) (increase(http_request_duration_seconds_bucket{namespace="$namespace",pod=~"$pods"}[$window]))`,
	CPU:                `avg(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod=~"$pods",container="$container"}[$rate]))`,
	Memory:             `avg(container_memory_working_set_bytes{namespace="$namespace",pod=~"$pods",container="$container"})`,
	Replicas:           `sum(kube_${kind}_status_replicas{namespace="$namespace",$kind="$workload"})`,
	HPACurrentReplicas: `sum(kube_horizontalpodautoscaler_status_current_replicas{namespace="$namespace",horizontalpodautoscaler="$hpa"})`,
	HPADesiredReplicas: `sum(kube_horizontalpodautoscaler_status_desired_replicas{namespace="$namespace",horizontalpodautoscaler="$hpa"})`,
	ReadyReplicas:      `sum(kube_${kind}_status_replicas_ready{namespace="$namespace",$kind="$workload"})`,
	LatencyBucketRates: `sum by (le) (rate(http_request_duration_seconds_bucket{namespace="$namespace",pod=~"$pods"}[$rate]))`,
	ErrorRate:          `sum(rate(http_requests_total{namespace="$namespace",pod=~"$pods",code=~"5.."}[$rate]))`,
	PodStartup:         `max by (pod) (max_over_time(kube_pod_status_ready_time{namespace="$namespace",pod=~"$pods"}[$window])) - max by (pod) (max_over_time(kube_pod_created{namespace="$namespace",pod=~"$pods"}[$window]))`,
}

// ServiceQueries are the expanded PromQL for one service.
type ServiceQueries scenarios.ObserveQueries

// QueriesFor expands the templates for a service of the plan: the
// defaults, overridden by the plan's observe.queries, overridden by its
// observe.services entry. namespace is used when the service has none.
func QueriesFor(p *scenarios.Plan, svc *scenarios.Service, namespace string, rate, window time.Duration) (ServiceQueries, error) {
	q := DefaultQueries
	if p.Observe != nil {
		q = p.Observe.Queries.Merge(q)
		for _, os := range p.Observe.Services {
			if os.Name == svc.Name {
				q = os.Queries.Merge(q)
			}
		}
	}
	ns := svc.Namespace
	if ns == "" {
		ns = namespace
	}
	if ns == "" {
		ns = "default"
	}
	vars := map[string]string{
		"namespace": escapeString(ns),
		"workload":  escapeString(svc.WorkloadRef.Name),
		"kind":      strings.ToLower(svc.WorkloadRef.Kind),
		"pods":      PodRegexp(svc.WorkloadRef.Kind, svc.WorkloadRef.Name),
		"container": escapeString(svc.Container),
		"hpa":       escapeString(svc.WorkloadRef.Name),
		"rate":      FormatDuration(rate),
		"window":    FormatDuration(window),
	}
	var out scenarios.ObserveQueries
	var firstErr error
	expanded := map[string]string{}
	q.Each(func(name, tmpl string) {
		if firstErr != nil {
			return
		}
		t, err := scenarios.ParseQueryTemplate(tmpl)
		if err != nil {
			firstErr = fmt.Errorf("observe query %s for service %s: %w", name, svc.Name, err)
			return
		}
		s, err := t.Expand(vars)
		if err != nil {
			firstErr = fmt.Errorf("observe query %s for service %s: %w", name, svc.Name, err)
			return
		}
		expanded[name] = s
	})
	if firstErr != nil {
		return ServiceQueries{}, firstErr
	}
	out.RequestRate = expanded["requestRate"]
	out.LatencyMean = expanded["latencyMean"]
	out.LatencyBuckets = expanded["latencyBuckets"]
	out.CPU = expanded["cpu"]
	out.Memory = expanded["memory"]
	out.Replicas = expanded["replicas"]
	out.HPACurrentReplicas = expanded["hpaCurrentReplicas"]
	out.HPADesiredReplicas = expanded["hpaDesiredReplicas"]
	out.ReadyReplicas = expanded["readyReplicas"]
	out.LatencyBucketRates = expanded["latencyBucketRates"]
	out.ErrorRate = expanded["errorRate"]
	out.PodStartup = expanded["podStartup"]
	return ServiceQueries(out), nil
}

// escapeString escapes a value for a double-quoted PromQL string.
func escapeString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
