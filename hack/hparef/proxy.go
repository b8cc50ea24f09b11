package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The front proxy stands between kube-controller-manager and the API server
// (the controller-manager's kubeconfig points at it, on loopback). It
// answers the three metrics APIs itself — metrics.k8s.io/v1beta1,
// custom.metrics.k8s.io/v1beta2 and external.metrics.k8s.io/v1beta1,
// discovery included — from the traces' state, and forwards everything
// else. The API server's aggregator would proxy those groups to an
// APIService's Service, but it resolves Services to endpoints it dials from
// the API server and refuses loopback addresses, so a metrics adapter on
// 127.0.0.1 cannot be registered; sitting in front of the API server needs
// no registration at all and sees every request the controller makes.
//
// Seeing every request is what the recorder uses: the HPA controller's GET
// of a Deployment's scale subresource starts each sync
// (reconcileAutoscaler in pkg/controller/podautoscaler/horizontal.go), the
// metrics it reads are the answers given here, and its decisions are the
// scale PUT and the HPA status PUT that pass through.

var everything = labels.Everything()

type frontProxy struct {
	apiserver *url.URL
	token     string
	rp        *httputil.ReverseProxy
	direct    *http.Client
	world     *world
}

func newFrontProxy(apiserver, caFile, token string, w *world) (*frontProxy, error) {
	u, err := url.Parse(apiserver)
	if err != nil {
		return nil, err
	}
	ca, err := readFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	rp := httputil.NewSingleHostReverseProxy(u)
	// client-go sends no bearer token to a plain-http server, so the
	// controller-manager's requests arrive anonymous; the proxy (loopback
	// only) authenticates them as the suite's admin.
	direct := rp.Director
	rp.Director = func(r *http.Request) {
		direct(r)
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rp.Transport = tr
	rp.FlushInterval = -1
	rp.ErrorLog = nil
	return &frontProxy{apiserver: u, token: token, rp: rp, direct: &http.Client{Transport: tr, Timeout: 30 * time.Second}, world: w}, nil
}

func (p *frontProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/apis" && r.Method == http.MethodGet:
		p.apis(w, r)
		return
	case path == "/api" && r.Method == http.MethodGet:
		// Plain discovery, so that the aggregated form (which would have to
		// list the metrics groups too) is never used.
		r.Header.Set("Accept", "application/json")
	case strings.HasPrefix(path, "/apis/metrics.k8s.io"), strings.HasPrefix(path, "/apis/custom.metrics.k8s.io"), strings.HasPrefix(path, "/apis/external.metrics.k8s.io"):
		p.metrics(w, r)
		return
	}
	ns, kind := classify(r)
	run := p.world.run(ns)
	if run == nil || kind == reqOther {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch kind {
	case reqScaleGet:
		r.Header.Set("Accept", "application/json")
		// The sync is opened before the answer goes out: the controller
		// reads the metrics as soon as it has the scale.
		s := run.syncStart(time.Now())
		rw := &capture{ResponseWriter: w, code: 200}
		p.rp.ServeHTTP(rw, r)
		run.scaleRead(s, rw.code, rw.body.Bytes())
	case reqScalePut, reqStatusPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rw := &capture{ResponseWriter: w, code: 200}
		if kind == reqScalePut {
			// A conflict makes the controller re-read the scale and retry
			// (RetryOnConflict in reconcileAutoscaler); mark it before the
			// controller sees the answer, so that its re-read is not taken
			// for the next sync.
			rw.onHeader = func(code int) {
				if code == http.StatusConflict {
					run.scaleConflict()
				}
			}
		}
		p.rp.ServeHTTP(rw, r)
		if kind == reqScalePut {
			run.scaleWritten(time.Now(), rw.code, r.Header.Get("Content-Type"), body)
		} else {
			run.statusWritten(time.Now(), rw.code, r.Header.Get("Content-Type"), body)
		}
	}
}

type reqKind uint8

const (
	reqOther reqKind = iota
	reqScaleGet
	reqScalePut
	reqStatusPut
)

// classify finds the HPA controller's scale and status requests.
func classify(r *http.Request) (string, reqKind) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// apis/apps/v1/namespaces/NS/deployments/app/scale
	if len(parts) == 8 && parts[0] == "apis" && parts[1] == "apps" && parts[3] == "namespaces" && parts[5] == "deployments" && parts[7] == "scale" {
		switch r.Method {
		case http.MethodGet:
			return parts[4], reqScaleGet
		case http.MethodPut:
			return parts[4], reqScalePut
		}
	}
	// apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers/NAME/status
	if len(parts) == 8 && parts[0] == "apis" && parts[1] == "autoscaling" && parts[3] == "namespaces" && parts[5] == "horizontalpodautoscalers" && parts[7] == "status" && r.Method == http.MethodPut {
		return parts[4], reqStatusPut
	}
	return "", reqOther
}

// capture keeps a response's status code and body while passing it on.
type capture struct {
	http.ResponseWriter
	code     int
	body     bytes.Buffer
	onHeader func(code int)
}

func (c *capture) WriteHeader(code int) {
	c.code = code
	if c.onHeader != nil {
		c.onHeader(code)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (c *capture) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// apis serves /apis: the API server's group list plus the metrics groups.
func (p *frontProxy) apis(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.apiserver.String()+"/apis", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := p.direct.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
	var list metav1.APIGroupList
	if err := json.Unmarshal(body, &list); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, g := range metricsGroups {
		list.Groups = append(list.Groups, g.group())
	}
	writeJSON(w, http.StatusOK, &list)
}

// metricsGroup is one of the metrics APIs the proxy serves.
type metricsGroup struct {
	name, version string
	resources     []metav1.APIResource
}

var metricsGroups = []metricsGroup{
	{"metrics.k8s.io", "v1beta1", []metav1.APIResource{
		{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: metav1.Verbs{"get", "list"}},
		{Name: "nodes", Namespaced: false, Kind: "NodeMetrics", Verbs: metav1.Verbs{"get", "list"}},
	}},
	{"custom.metrics.k8s.io", "v1beta2", []metav1.APIResource{
		{Name: "pods/" + podsMetricName, Namespaced: true, Kind: "MetricValueList", Verbs: metav1.Verbs{"get"}},
		{Name: "services/" + objectMetricName, Namespaced: true, Kind: "MetricValueList", Verbs: metav1.Verbs{"get"}},
	}},
	{"external.metrics.k8s.io", "v1beta1", []metav1.APIResource{
		{Name: externalMetricName, Namespaced: true, Kind: "ExternalMetricValueList", Verbs: metav1.Verbs{"get"}},
	}},
}

func (g metricsGroup) group() metav1.APIGroup {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: g.name + "/" + g.version, Version: g.version}
	return metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: g.name, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}
}

// metrics answers the metrics groups: discovery documents, and the metric
// reads of the traces' namespaces.
func (p *frontProxy) metrics(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var g *metricsGroup
	for i := range metricsGroups {
		if metricsGroups[i].name == parts[1] {
			g = &metricsGroups[i]
		}
	}
	if g == nil || r.Method != http.MethodGet {
		writeStatus(w, http.StatusNotFound, "not found")
		return
	}
	switch {
	case len(parts) == 2:
		grp := g.group()
		writeJSON(w, http.StatusOK, &grp)
		return
	case len(parts) == 3 && parts[2] == g.version:
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: g.name + "/" + g.version, APIResources: g.resources})
		return
	case len(parts) < 6 || parts[2] != g.version || parts[3] != "namespaces":
		writeStatus(w, http.StatusNotFound, "not found")
		return
	}
	run := p.world.run(parts[4])
	if run == nil {
		writeStatus(w, http.StatusNotFound, "no trace in namespace "+parts[4])
		return
	}
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, err.Error())
		return
	}
	rest := parts[5:]
	var key string
	switch {
	case g.name == "metrics.k8s.io" && len(rest) == 1 && rest[0] == "pods":
		key = keyResource
	case g.name == "custom.metrics.k8s.io" && len(rest) == 3 && rest[0] == "pods" && rest[1] == "*":
		key = keyPods + rest[2]
	case g.name == "custom.metrics.k8s.io" && len(rest) == 3:
		key = keyObject + rest[0] + "/" + rest[1] + "/" + rest[2]
	case g.name == "external.metrics.k8s.io" && len(rest) == 1:
		key = keyExternal + rest[0]
	default:
		writeStatus(w, http.StatusNotFound, "unknown metric path "+r.URL.Path)
		return
	}
	code, obj := run.serve(key, sel)
	if code != http.StatusOK {
		writeStatus(w, code, fmt.Sprint(obj))
		return
	}
	writeJSON(w, code, obj)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeStatus(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure, Message: msg, Code: int32(code)})
}

// decodeScale reads a scale subresource (autoscaling/v1 Scale, JSON).
func decodeScale(contentType string, body []byte) (*autoscalingv1.Scale, error) {
	if contentType != "" && !strings.HasPrefix(contentType, "application/json") {
		return nil, fmt.Errorf("scale body of content type %q (run the controller-manager with --kube-api-content-type=application/json)", contentType)
	}
	var s autoscalingv1.Scale
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func decodeHPA(contentType string, body []byte) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	if contentType != "" && !strings.HasPrefix(contentType, "application/json") {
		return nil, fmt.Errorf("HPA body of content type %q (run the controller-manager with --kube-api-content-type=application/json)", contentType)
	}
	var h autoscalingv2.HorizontalPodAutoscaler
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, err
	}
	return &h, nil
}
