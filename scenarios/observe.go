package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Observe configures `headroom observe`: the PromQL templates it runs
// against Prometheus to fill each service's inputs. Every query has a
// default for the common exporters (package prom documents them); a
// template set here replaces the default for every service, one set under
// Services replaces it for that service only.
type Observe struct {
	// Queries override the default templates for every service.
	Queries ObserveQueries `json:"queries,omitempty"`
	// Services override templates per service.
	Services []ObserveService `json:"services,omitempty"`
}

// ObserveService overrides query templates for one service.
type ObserveService struct {
	// Name is the service's name in the plan. Required.
	Name string `json:"name"`
	// Queries replace the templates for this service.
	Queries ObserveQueries `json:"queries"`
}

// ObserveQueries are PromQL templates; an empty field keeps the default.
// A template may use these placeholders, written $name or ${name}
// ($$ is a literal dollar sign):
//
//	$namespace  the service's namespace
//	$workload   the workload's name (workloadRef.name)
//	$kind       the workload kind in lower case: deployment or statefulset
//	            (kube-state-metrics' metric and label names use it)
//	$pods       a regular expression matching the workload's pod names
//	            (<name>-<hash>-<id> for a Deployment, <name>-<ordinal> for
//	            a StatefulSet), for pod=~"$pods"
//	$container  the serving container's name
//	$hpa        the HorizontalPodAutoscaler's name (the workload's name)
//	$rate       the range of rate() and increase() over one step, e.g. 5m
//	$window     the whole observation window, e.g. 14d
//
// Range queries (every one but LatencyBuckets, LatencyBucketRates and
// PodStartup) must return one series: aggregate with sum() or avg().
type ObserveQueries struct {
	// RequestRate is the service's request rate over all pods, per second.
	RequestRate string `json:"requestRate,omitempty"`
	// LatencyMean is the mean request duration in seconds (_sum over _count).
	LatencyMean string `json:"latencyMean,omitempty"`
	// LatencyBuckets is an instant query for the cumulative histogram
	// bucket counts over the window, one series per "le" label.
	LatencyBuckets string `json:"latencyBuckets,omitempty"`
	// CPU is the average CPU usage of one pod, in cores.
	CPU string `json:"cpu,omitempty"`
	// Memory is the average working set of one pod, in bytes.
	Memory string `json:"memory,omitempty"`
	// Replicas is the workload's replica count.
	Replicas string `json:"replicas,omitempty"`
	// HPACurrentReplicas and HPADesiredReplicas are the HPA's status.
	HPACurrentReplicas string `json:"hpaCurrentReplicas,omitempty"`
	HPADesiredReplicas string `json:"hpaDesiredReplicas,omitempty"`
	// ReadyReplicas is the workload's Ready replica count (`headroom
	// backtest` compares it with the simulation's).
	ReadyReplicas string `json:"readyReplicas,omitempty"`
	// LatencyBucketRates is a range query for the rate of each cumulative
	// histogram bucket over $rate, one series per "le" label (backtest's
	// p95 and slow requests per step).
	LatencyBucketRates string `json:"latencyBucketRates,omitempty"`
	// ErrorRate is the rate of failed requests over all pods, per second
	// (backtest's error-budget burn); no series at all counts as none
	// failed.
	ErrorRate string `json:"errorRate,omitempty"`
	// PodStartup is an instant query for each pod's creation-to-Ready time
	// in seconds over the window, one series per pod (backtest's start-up
	// delays).
	PodStartup string `json:"podStartup,omitempty"`
}

// Each calls f with the JSON name and value of every query template.
func (q *ObserveQueries) Each(f func(name, template string)) {
	v := reflect.ValueOf(q).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f(name, v.Field(i).String())
	}
}

// Merge returns q with every empty template taken from base.
func (q ObserveQueries) Merge(base ObserveQueries) ObserveQueries {
	out := q
	ov, bv := reflect.ValueOf(&out).Elem(), reflect.ValueOf(base)
	for i := range ov.NumField() {
		if ov.Field(i).String() == "" {
			ov.Field(i).SetString(bv.Field(i).String())
		}
	}
	return out
}

// QueryPlaceholders are the names a query template may use.
var QueryPlaceholders = []string{"namespace", "workload", "kind", "pods", "container", "hpa", "rate", "window"}

// MaxQueryTemplateBytes bounds a query template.
const MaxQueryTemplateBytes = 16 << 10

// QueryTemplate is a parsed PromQL template: literal text and placeholders.
type QueryTemplate struct {
	parts []templatePart
}

type templatePart struct {
	text        string
	placeholder bool
}

// ParseQueryTemplate parses a PromQL template with $name / ${name}
// placeholders (see ObserveQueries). It rejects unknown names, a $ not
// followed by a name, an unclosed ${ and an empty template.
func ParseQueryTemplate(s string) (QueryTemplate, error) {
	if strings.TrimSpace(s) == "" {
		return QueryTemplate{}, fmt.Errorf("the query is empty")
	}
	if len(s) > MaxQueryTemplateBytes {
		return QueryTemplate{}, fmt.Errorf("the query is longer than %d bytes", MaxQueryTemplateBytes)
	}
	var t QueryTemplate
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, templatePart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			lit.WriteByte('$')
			i += 2
			continue
		}
		var name string
		start := i
		if i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return QueryTemplate{}, fmt.Errorf("${ at position %d is not closed by }", start+1)
			}
			name = s[i+2 : i+2+end]
			i += 2 + end + 1
		} else {
			j := i + 1
			for j < len(s) && isIdentByte(s[j], j == i+1) {
				j++
			}
			name = s[i+1 : j]
			i = j
		}
		if name == "" {
			return QueryTemplate{}, fmt.Errorf("$ at position %d must be followed by a placeholder name (%s) or written $$", start+1, strings.Join(QueryPlaceholders, ", "))
		}
		if !knownPlaceholder(name) {
			return QueryTemplate{}, fmt.Errorf("unknown placeholder $%s at position %d; known: %s", name, start+1, strings.Join(QueryPlaceholders, ", "))
		}
		flush()
		t.parts = append(t.parts, templatePart{text: name, placeholder: true})
	}
	flush()
	return t, nil
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func knownPlaceholder(name string) bool {
	for _, p := range QueryPlaceholders {
		if p == name {
			return true
		}
	}
	return false
}

// Expand substitutes the placeholders; every placeholder the template uses
// must be in vars.
func (t QueryTemplate) Expand(vars map[string]string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.placeholder {
			b.WriteString(p.text)
			continue
		}
		v, ok := vars[p.text]
		if !ok {
			return "", fmt.Errorf("no value for $%s", p.text)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// Uses reports whether the template contains the placeholder.
func (t QueryTemplate) Uses(name string) bool {
	for _, p := range t.parts {
		if p.placeholder && p.text == name {
			return true
		}
	}
	return false
}

func (v *validator) observe(path string, o *Observe, services map[string]bool) {
	v.queries(path+".queries", &o.Queries)
	seen := map[string]bool{}
	for i := range o.Services {
		s := &o.Services[i]
		sp := fmt.Sprintf("%s.services[%d]", path, i)
		switch {
		case s.Name == "":
			v.add(sp+".name", "is required")
		case !services[s.Name]:
			v.add(sp+".name", "no service named %q in this plan", s.Name)
		case seen[s.Name]:
			v.add(sp+".name", "duplicate service %q; put all its queries in one entry", s.Name)
		}
		seen[s.Name] = true
		v.queries(sp+".queries", &s.Queries)
	}
}

func (v *validator) queries(path string, q *ObserveQueries) {
	q.Each(func(name, tmpl string) {
		if tmpl == "" {
			return
		}
		if _, err := ParseQueryTemplate(tmpl); err != nil {
			v.add(path+"."+name, "%v", err)
		}
	})
}

func (v *validator) replay(path string, r *Replay) {
	switch {
	case len(r.Points) == 0:
		v.add(path+".points", "a replay needs at least one point")
		return
	case len(r.Points) > MaxReplayPoints:
		v.add(path+".points", "has %d points, more than %d; resample at a coarser step", len(r.Points), MaxReplayPoints)
		return
	}
	bad := 0
	for i, pt := range r.Points {
		pp := fmt.Sprintf("%s.points[%d]", path, i)
		var msgs []string
		if pt.At < 0 {
			msgs = append(msgs, fmt.Sprintf("at must not be negative, got %s", pt.At))
		}
		if i > 0 && pt.At <= r.Points[i-1].At {
			msgs = append(msgs, fmt.Sprintf("at %s is not after the previous point's %s; points must be in increasing time order", pt.At, r.Points[i-1].At))
		}
		if !(pt.Multiplier >= 0) || math.IsInf(float64(pt.Multiplier), 0) {
			msgs = append(msgs, fmt.Sprintf("multiplier must be a finite number ≥ 0, got %g", pt.Multiplier))
		}
		for _, m := range msgs {
			if bad++; bad <= 5 {
				v.add(pp, "%s", m)
			}
		}
	}
	if bad > 5 {
		v.add(path+".points", "%d more bad points not listed", bad-5)
	}
}
