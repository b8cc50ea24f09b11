package prom

import (
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

func TestQueriesFor(t *testing.T) {
	src := strings.Replace(string(mustRead(t, "testdata/shop.yaml")), "scenarios:\n", "  - name: db\n    workloadRef: {kind: StatefulSet, name: pg.main}\n    replicas: 1\n    fixed: true\n    resources:\n      requests: {cpu: \"1\", memory: 1Gi}\n    requestRate: 10/s\n    serviceTime: {mean: 5ms}\n    concurrency: 4\n    cpu: {perRequest: 1ms}\n    memory: {base: 1Gi}\nscenarios:\n", 1)
	src += `observe:
  queries:
    cpu: 'sum(my_cpu{ns="$namespace"}) / 2'
  services:
    - name: db
      queries:
        cpu: 'pg_cpu{instance="$workload"}'
`
	p, err := scenarios.Parse("q.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service string
		get     func(q ServiceQueries) string
		want    string
	}{
		{"api", func(q ServiceQueries) string { return q.RequestRate },
			`sum(rate(http_requests_total{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]+"}[5m]))`},
		{"api", func(q ServiceQueries) string { return q.LatencyBuckets },
			`sum by (le) (increase(http_request_duration_seconds_bucket{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]+"}[14d]))`},
		{"api", func(q ServiceQueries) string { return q.Replicas },
			`sum(kube_deployment_status_replicas{namespace="shop",deployment="api"})`},
		{"api", func(q ServiceQueries) string { return q.CPU }, `sum(my_cpu{ns="shop"}) / 2`},
		// The service without a namespace takes the flag's; a dot in the
		// name is escaped for the regular expression and the PromQL string.
		{"db", func(q ServiceQueries) string { return q.ReadyReplicas },
			`sum(kube_statefulset_status_replicas_ready{namespace="prod",statefulset="pg.main"})`},
		{"api", func(q ServiceQueries) string { return q.PodStartup },
			`max by (pod) (max_over_time(kube_pod_status_ready_time{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]+"}[14d])) - max by (pod) (max_over_time(kube_pod_created{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]+"}[14d]))`},
		{"db", func(q ServiceQueries) string { return q.Replicas },
			`sum(kube_statefulset_status_replicas{namespace="prod",statefulset="pg.main"})`},
		{"db", func(q ServiceQueries) string { return q.Memory },
			`avg(container_memory_working_set_bytes{namespace="prod",pod=~"pg\\.main-[0-9]+",container="db"})`},
		{"db", func(q ServiceQueries) string { return q.CPU }, `pg_cpu{instance="pg.main"}`},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.want, func(t *testing.T) {
			q, err := QueriesFor(p, p.Service(tt.service), "prod", 5*time.Minute, 14*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(q); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPodRegexp(t *testing.T) {
	for _, tt := range []struct{ kind, name, want string }{
		{"Deployment", "api", `api-[a-z0-9]+-[a-z0-9]+`},
		{"StatefulSet", "redis", `redis-[0-9]+`},
		{"", "a.b", `a\\.b-([a-z0-9]+-[a-z0-9]+|[0-9]+)`},
	} {
		if got := PodRegexp(tt.kind, tt.name); got != tt.want {
			t.Errorf("PodRegexp(%q, %q) = %s, want %s", tt.kind, tt.name, got, tt.want)
		}
	}
}
