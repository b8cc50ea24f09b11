//go:build e2e

package builtin

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
	"github.com/headroom-dev/headroom/model"
)

// The mix of TestMixAgainstMGc: three endpoints with different
// service-time distributions and weights. The mixture (p = 0.6, 0.3, 0.1)
// has mean 17 ms and cs² ≈ 0.73 (mixMoments).
var mixEndpoints = []struct {
	name, method, path string
	weight             float64
	dist               mmcserver.Dist
}{
	{"read", http.MethodGet, "/read", 6, mmcserver.Dist{Kind: "exp", Mean: 10 * time.Millisecond}},
	{"search", http.MethodGet, "/search", 3, mmcserver.Dist{Kind: "lognormal", Mean: 30 * time.Millisecond, CV: 0.5}},
	{"write", http.MethodPost, "/write", 1, mmcserver.Dist{Kind: "uniform", Lo: 10 * time.Millisecond, Hi: 30 * time.Millisecond}},
}

var mixBody = []byte(`{"sku":"A-17","qty":2}`)

// distMoments returns E[S] and E[S²] in seconds of a service distribution.
func distMoments(d mmcserver.Dist) (float64, float64) {
	switch d.Kind {
	case "lognormal":
		m := d.Mean.Seconds()
		return m, m * m * (1 + d.CV*d.CV)
	case "uniform":
		a, b := d.Lo.Seconds(), d.Hi.Seconds()
		return (a + b) / 2, (a*a + a*b + b*b) / 3
	}
	m := d.Mean.Seconds()
	return m, 2 * m * m
}

// distDensity is the density of a service distribution at s seconds.
func distDensity(d mmcserver.Dist, s float64) float64 {
	if s <= 0 {
		return 0
	}
	switch d.Kind {
	case "lognormal":
		s2 := math.Log1p(d.CV * d.CV)
		mu := math.Log(d.Mean.Seconds()) - s2/2
		z := (math.Log(s) - mu)
		return math.Exp(-z*z/(2*s2)) / (s * math.Sqrt(2*math.Pi*s2))
	case "uniform":
		a, b := d.Lo.Seconds(), d.Hi.Seconds()
		if s < a || s > b {
			return 0
		}
		return 1 / (b - a)
	}
	m := d.Mean.Seconds()
	return math.Exp(-s/m) / m
}

// mixMoments is the mixture's mean and squared coefficient of variation,
// exact from the components: E[S] = Σ p_k m_k, E[S²] = Σ p_k E[S_k²].
func mixMoments() (mean, cs2 float64) {
	var sum, m1, m2 float64
	for _, e := range mixEndpoints {
		sum += e.weight
	}
	for _, e := range mixEndpoints {
		a, b := distMoments(e.dist)
		m1 += e.weight / sum * a
		m2 += e.weight / sum * b
	}
	return m1, m2/(m1*m1) - 1
}

// endpointPrediction is an endpoint's predicted mean and p95 response at
// arrival rate lambda on c servers: its own service time S_k plus the
// shared wait W of the mixture's M/G/c queue, in the two-moment model of
// package model (ResponseSurvivalGGc): W = 0 with probability C (Erlang
// C, model.ErlangC) and else exponential of rate η = C / E[W], E[W] from
// model.MeanWaitAllenCunneen. P(S_k + W > t) = P(S_k > t) +
// C·∫₀ᵗ f_k(s) e^{−η(t−s)} ds, integrated numerically; the p95 by
// bisection.
func endpointPrediction(k int, lambda float64, c int) (mean, p95 float64, err error) {
	m, cs2 := mixMoments()
	wait, err := model.MeanWaitAllenCunneen(lambda, 1/m, c, 1, cs2)
	if err != nil {
		return 0, 0, err
	}
	d := mixEndpoints[k].dist
	sk, _ := distMoments(d)
	delay := model.ErlangC(c, lambda*m)
	eta := delay / wait
	survival := func(t float64) float64 {
		const n = 4000
		h := t / n
		var below, conv float64 // P(S ≤ t) and the convolution, by the midpoint rule
		for i := range n {
			s := (float64(i) + 0.5) * h
			f := distDensity(d, s) * h
			below += f
			conv += f * math.Exp(-eta*(t-s))
		}
		return math.Max(1-below, 0) + delay*conv
	}
	lo, hi := 0.0, 5.0
	for range 60 {
		mid := (lo + hi) / 2
		if survival(mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return sk + wait, (lo + hi) / 2, nil
}

// testCA makes a CA and a server certificate it signed for 127.0.0.1.
func testCA(t *testing.T) (*x509.CertPool, tls.Certificate, []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "headroom e2e test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caDER
}

// serveMix starts a mix server over TLS on loopback.
func serveMix(t *testing.T, cfg mmcserver.MixConfig, cert tls.Certificate) (*mmcserver.MixServer, string, func()) {
	t.Helper()
	for _, e := range mixEndpoints {
		me := mmcserver.MixEndpoint{Method: e.method, Path: e.path, Service: e.dist}
		if e.method == http.MethodPost {
			me.Body = mixBody
		}
		cfg.Endpoints = append(cfg.Endpoints, me)
	}
	srv, err := mmcserver.NewMix(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		ErrorLog: log.New(io.Discard, "", 0)}
	go hs.ServeTLS(ln, "", "")
	return srv, "https://" + ln.Addr().String(), func() { hs.Close() }
}

// mixSpec is the run's request mix; the token comes from the environment
// and is marked secret.
func mixSpec(base, token string) []loadtest.Endpoint {
	auth := loadtest.Header{Name: "Authorization", Value: "Bearer " + token, Secret: true, SecretSource: "env:E2E_MIX_TOKEN"}
	var eps []loadtest.Endpoint
	for _, e := range mixEndpoints {
		ep := loadtest.Endpoint{Name: e.name, Method: e.method, URL: base + e.path, Weight: e.weight, Header: []loadtest.Header{auth}}
		if e.method == http.MethodPost {
			ep.Body = mixBody
			ep.Header = append(ep.Header, loadtest.Header{Name: "Content-Type", Value: "application/json"})
		}
		eps = append(eps, ep)
	}
	return eps
}

// TestMixAgainstMGc plays a three-endpoint mix (an auth header the server
// checks, a POST body it validates) over TLS with a CA made here, against
// a single-server FCFS queue of the three service-time distributions, at
// ρ = 0.5, 0.8 and 0.9, and holds each endpoint's mean and p95 response
// against its prediction: its own service time plus the shared wait of
// the mixture's M/G/1 queue (endpointPrediction). As in
// TestBuiltinAgainstMMc, the run's own sample path (its arrivals and the
// service times the server measured, through an ideal FCFS queue) is a
// control variate: estimate = measured − (sample path − prediction), per
// endpoint; it must be within 15 % of the prediction. Then every file the
// run wrote (result, progress log, notes) is searched for the token.
func TestMixAgainstMGc(t *testing.T) {
	secs := envInt(t, "E2E_MIX_SECONDS", 20, 8)
	token := "e2e-" + fmt.Sprint(time.Now().UnixNano())
	t.Setenv("E2E_MIX_TOKEN", token)
	pool, cert, _ := testCA(t)
	dir := t.TempDir()
	mean, cs2 := mixMoments()
	t.Logf("mixture: mean %.2f ms, cs² %.3f", mean*1e3, cs2)
	for _, rho := range []float64{0.5, 0.8, 0.9} {
		t.Run(fmt.Sprintf("rho=%.1f", rho), func(t *testing.T) {
			mmcserver.RetryInvalid(t, func() ([]string, bool) {
				return measureMix(t, pool, cert, os.Getenv("E2E_MIX_TOKEN"), secs, rho, dir)
			})
		})
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 9 {
		t.Fatalf("the runs wrote %d files, want 9", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the secret token", f)
		}
	}
}

func measureMix(t *testing.T, pool *x509.CertPool, cert tls.Certificate, token string, secs int, rho float64, dir string) (fails []string, valid bool) {
	const (
		warmup = 4 * time.Second
		tol    = 0.15
		seed   = 13
	)
	srv, base, stop := serveMix(t, mmcserver.MixConfig{Workers: 1, Auth: "Bearer " + token, Seed: 3}, cert)
	defer stop()
	mean, _ := mixMoments()
	lambda := rho / mean
	sched := loadtest.Schedule{StartRate: lambda, Speedup: 1, Stages: []loadtest.Stage{{Duration: time.Duration(secs) * time.Second, Target: lambda}}}
	tag := fmt.Sprintf("rho%.1f", rho)
	progress, _ := os.Create(filepath.Join(dir, tag+"-progress.log"))
	notes, _ := os.Create(filepath.Join(dir, tag+"-notes.log"))
	defer progress.Close()
	defer notes.Close()
	spec := loadtest.RunSpec{Target: base + "/", Endpoints: mixSpec(base, token), Arrivals: loadtest.ArrivalsPoisson,
		Timeout: 20 * time.Second, Schedule: sched, Progress: progress}
	res, err := New(Options{Seed: seed, MaxWorkers: 2000, Sender: SenderLoop, RootCAs: pool, Notes: notes}).Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadtest.WriteResultFile(filepath.Join(dir, tag+"-result.json"), res); err != nil {
		t.Fatal(err)
	}
	cnt := srv.Counts()
	if res.Totals.Dropped > 0 || res.Totals.Errors > 0 || cnt.Unauthorized+cnt.BadRequests > 0 {
		t.Fatalf("dropped %d, errors %v, server: %+v", res.Totals.Dropped, res.Totals.ErrorClasses, cnt)
	}
	for k, e := range res.Endpoints {
		if int64(cnt.PerEndpoint[k]) != e.Totals.Completed {
			t.Fatalf("%s: the engine completed %d, the server served %d", e.Name, e.Totals.Completed, cnt.PerEndpoint[k])
		}
	}

	// The sample path of the run's arrivals and measured service times.
	pacer, _ := NewSchedulePacer(sched, loadtest.ArrivalsPoisson, seed)
	var arrivals []time.Duration
	for n := uint64(0); ; n++ {
		at, ok := pacer.At(n)
		if !ok {
			break
		}
		arrivals = append(arrivals, at)
	}
	served := srv.Served()
	if len(served) != len(arrivals) {
		t.Fatalf("server served %d, the pacer sent %d", len(served), len(arrivals))
	}
	services := make([]time.Duration, len(served))
	var measuredMean float64
	for i, s := range served {
		services[i] = s.Service
		measuredMean += s.Service.Seconds()
	}
	measuredMean /= float64(len(served))
	waits := mmcserver.SamplePath(arrivals, services, 1)
	spResp := make([][]float64, len(mixEndpoints))
	for i, a := range arrivals {
		if a >= warmup {
			k := served[i].Endpoint
			spResp[k] = append(spResp[k], (waits[i] + services[i]).Seconds())
		}
	}
	// The prediction at the measured mean service time: the sleeps
	// overshoot a little; scale λ so that ρ is the one the server ran.
	lambdaEff := lambda * measuredMean / mean
	t.Logf("ρ=%.2f (measured service mean %.2f ms vs %.2f ms), λ=%.1f/s, send-lag p99 %.2f ms, valid=%v %s",
		rho*measuredMean/mean, measuredMean*1e3, mean*1e3, lambda, res.SendLag.Quantile(0.99)*1e3, res.Valid, res.InvalidReason)
	for k, e := range res.Endpoints {
		steady := loadtest.NewHistogram()
		for _, w := range e.Windows[int(warmup/time.Second):] {
			steady.Merge(w.Latency)
		}
		sp := spResp[k]
		slices.Sort(sp)
		var spMean float64
		for _, v := range sp {
			spMean += v
		}
		spMean /= float64(len(sp))
		spP95 := sp[int(math.Ceil(0.95*float64(len(sp))))-1]
		wantMean, wantP95, err := endpointPrediction(k, lambdaEff, 1)
		if err != nil {
			t.Fatal(err)
		}
		gotMean, gotP95 := steady.Mean(), steady.Quantile(0.95)
		estMean, estP95 := gotMean-(spMean-wantMean), gotP95-(spP95-wantP95)
		t.Logf("| %-6s | %.1f | %5d | mean %7.2f ms (sample path %7.2f) → %7.2f vs predicted %7.2f (%+5.1f %%) | p95 %7.2f ms (sample path %7.2f) → %7.2f vs predicted %7.2f (%+5.1f %%) |",
			e.Name, rho, steady.Count(), gotMean*1e3, spMean*1e3, estMean*1e3, wantMean*1e3, (estMean/wantMean-1)*100,
			gotP95*1e3, spP95*1e3, estP95*1e3, wantP95*1e3, (estP95/wantP95-1)*100)
		if rel := math.Abs(estMean/wantMean - 1); rel > tol {
			fails = append(fails, fmt.Sprintf("%s ρ=%.1f: mean estimate %.2f ms vs predicted %.2f ms: off by %.0f %%", e.Name, rho, estMean*1e3, wantMean*1e3, rel*100))
		}
		if rel := math.Abs(estP95/wantP95 - 1); rel > tol {
			fails = append(fails, fmt.Sprintf("%s ρ=%.1f: p95 estimate %.2f ms vs predicted %.2f ms: off by %.0f %%", e.Name, rho, estP95*1e3, wantP95*1e3, rel*100))
		}
	}
	b, _ := os.ReadFile(notes.Name())
	if !strings.Contains(string(b), "raw sender sends this run") {
		t.Errorf("the loop sender did not say it handed the https target over: %q", b)
	}
	return fails, res.Valid
}

// TestMixErrorClasses injects known failures into the same mix over TLS:
// every 7th authorised request is answered 503, every 4th POST has its
// connection reset, and a fourth endpoint sends no Authorization header
// (401). The engine's error classes must match the server's counts
// exactly, per endpoint and in total, with every sender that speaks TLS.
func TestMixErrorClasses(t *testing.T) {
	pool, cert, _ := testCA(t)
	const token = "e2e-errors-token"
	for _, sender := range []string{SenderRaw, SenderNetHTTP} {
		t.Run(sender, func(t *testing.T) {
			srv, base, stop := serveMix(t, mmcserver.MixConfig{Workers: 4, Auth: "Bearer " + token, Fail503Every: 7, ResetEvery: 4, Seed: 5}, cert)
			defer stop()
			eps := mixSpec(base, token)
			eps = append(eps, loadtest.Endpoint{Name: "anonymous", URL: base + "/read", Weight: 1})
			sched := constantSchedule(60, 4*time.Second)
			spec := loadtest.RunSpec{Target: base + "/", Endpoints: eps, Arrivals: loadtest.ArrivalsPoisson, Timeout: 10 * time.Second, Schedule: sched}
			res, err := New(Options{Seed: 17, Sender: sender, RootCAs: pool}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			cnt := srv.Counts()
			tot := res.Totals.ErrorClasses
			t.Logf("server: %d × 503, %d resets, %d × 401; engine: %v", cnt.Failed503, cnt.Resets, cnt.Unauthorized, tot)
			if cnt.Failed503 == 0 || cnt.Resets == 0 || cnt.Unauthorized == 0 {
				t.Fatalf("nothing injected: %+v", cnt)
			}
			if tot["http_503"] != int64(cnt.Failed503) || tot[loadtest.ErrorConnectionReset] != int64(cnt.Resets) ||
				tot["http_401"] != int64(cnt.Unauthorized) || res.Totals.Errors != int64(cnt.Failed503+cnt.Resets+cnt.Unauthorized) {
				t.Errorf("totals %v (errors %d), want 503 %d, resets %d, 401 %d", tot, res.Totals.Errors, cnt.Failed503, cnt.Resets, cnt.Unauthorized)
			}
			// Per endpoint: the anonymous endpoint shares /read's path, so
			// its 401s are the server's 401s; the rest split as served.
			for k, e := range res.Endpoints[:3] {
				ec := e.Totals.ErrorClasses
				if ec["http_503"] != int64(cnt.Failed503Per[k]) || ec[loadtest.ErrorConnectionReset] != int64(cnt.ResetsPer[k]) {
					t.Errorf("%s: %v, server 503 %d resets %d", e.Name, ec, cnt.Failed503Per[k], cnt.ResetsPer[k])
				}
			}
			if an := res.Endpoints[3].Totals; an.ErrorClasses["http_401"] != an.Sent || an.Errors != an.Sent {
				t.Errorf("anonymous: sent %d, classes %v", an.Sent, an.ErrorClasses)
			}
		})
	}
}
