// Command hparef runs sim/hpa against the real HPA controller: it is the
// Go side of the e2e suite hack/e2e/suites/60-hparef.sh, which starts etcd,
// kube-apiserver and kube-controller-manager (HPA, deployment and
// replica-set controllers only) on loopback.
//
// hparef serves the controller-manager's API traffic through a front proxy
// that answers the metrics APIs from driven traces (proxy.go), plays the
// kubelet for the pods (kubelet.go), runs every trace of traces.go at once,
// records each sync of each HPA — the inputs the controller read and the
// decisions it wrote — and replays them through sim/hpa
// (hpa.ReplaySequence). Any decision that differs fails the run with the
// trace, the time, both decisions and the inputs.
//
// Usage: hparef -apiserver URL -ca FILE -token-file FILE -addr-file FILE -out FILE
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/headroom-dev/headroom/sim/hpa"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hparef:", err)
		os.Exit(1)
	}
}

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func run() error {
	apiserver := flag.String("apiserver", "", "kube-apiserver URL (https://127.0.0.1:PORT)")
	caFile := flag.String("ca", "", "the API server's serving certificate")
	tokenFile := flag.String("token-file", "", "file holding a system:masters bearer token")
	addrFile := flag.String("addr-file", "", "write the front proxy's address (host:port) here once it listens")
	out := flag.String("out", "", "write the recorded sequences here (JSON, the format of testdata/conformance/hpa_sequences.json)")
	only := flag.String("traces", "", "run only the traces whose id matches this regexp")
	wait := flag.Duration("wait-controller", 3*time.Minute, "how long to wait for the controller-manager's first request")
	flag.Parse()
	if *apiserver == "" || *caFile == "" || *tokenFile == "" || *addrFile == "" || *out == "" {
		return errors.New("-apiserver, -ca, -token-file, -addr-file and -out are required")
	}
	tok, err := readFile(*tokenFile)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(string(tok))
	defs := traces()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-traces: %w", err)
		}
		var keep []trace
		for _, d := range defs {
			if re.MatchString(d.id) {
				keep = append(keep, d)
			}
		}
		defs = keep
	}
	if len(defs) == 0 {
		return errors.New("no traces selected")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := &rest.Config{Host: *apiserver, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: *caFile}, QPS: 200, Burst: 400}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	w := &world{runs: map[string]*traceRun{}}
	fp, err := newFrontProxy(*apiserver, *caFile, token, w)
	if err != nil {
		return err
	}
	seen := make(chan struct{})
	var once sync.Once
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(seen) })
		fp.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o600); err != nil {
		return err
	}
	fmt.Printf("hparef: front proxy on %s; waiting for kube-controller-manager\n", ln.Addr())
	select {
	case <-seen:
	case <-time.After(*wait):
		return fmt.Errorf("no request from kube-controller-manager within %s", *wait)
	case <-ctx.Done():
		return ctx.Err()
	}
	k, err := newKubelet(ctx, client)
	if err != nil {
		return err
	}
	// Let the controller-manager's informers sync before the first HPA.
	time.Sleep(3 * time.Second)

	start := time.Now()
	fmt.Printf("hparef: running %d traces at once\n", len(defs))
	seqs := make([]*hpa.Sequence, len(defs))
	errs := make([]error, len(defs))
	var wg sync.WaitGroup
	for i := range defs {
		wg.Go(func() { seqs[i], errs[i] = runTrace(ctx, client, w, k, &defs[i]) })
	}
	wg.Wait()
	fmt.Printf("hparef: traces recorded in %.0fs\n", time.Since(start).Seconds())
	if err := errors.Join(errs...); err != nil {
		return err
	}

	file := &hpa.SequenceFile{
		Description: "Sequences recorded from the real HPA controller (kube-controller-manager built from k8s.io/kubernetes v1.37.2, hack/tools/apiserver) by hack/e2e/suites/60-hparef.sh: every sync of every trace, the inputs it read (scale subresource, pods, the metrics the front proxy served) and what it wrote (scale update, HPA status). TestHPASequences replays them through sim/hpa. Time is compressed 7.5x (sync period 2s).",
		Source:      "kube-controller-manager v1.37.2",
		Config: hpa.SequenceConfig{Tolerance: tolerance, CPUInitializationPeriodS: cpuInitializationS, InitialReadinessDelayS: initialReadinessDelayS,
			DownscaleStabilizationS: downscaleStabilizationS, SyncPeriodS: syncPeriodS, ScaleToZero: true},
	}
	for _, s := range seqs {
		file.Traces = append(file.Traces, *s)
	}
	sort.Slice(file.Traces, func(i, j int) bool { return file.Traces[i].ID < file.Traces[j].ID })
	raw, err := hpa.MarshalSequenceFile(file)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, raw, 0o644); err != nil {
		return err
	}
	return replay(file, *only == "")
}

// replay compares every recorded decision with sim/hpa's and, for the full
// set of traces (canFail), checks that the comparison can fail: the same
// inputs with tolerance 0.2 must differ.
func replay(f *hpa.SequenceFile, canFail bool) error {
	syncs, rescales, writes := 0, 0, 0
	var bad []string
	for i := range f.Traces {
		t := &f.Traces[i]
		ms, err := hpa.ReplaySequence(f.Config.Config(), t)
		if err != nil {
			return err
		}
		r := 0
		for _, s := range t.Syncs {
			if s.Want.RescaleTo != nil {
				r++
			}
			if s.Want.StatusWritten {
				writes++
			}
		}
		syncs += len(t.Syncs)
		rescales += r
		status := "ok"
		if len(ms) > 0 {
			status = fmt.Sprintf("%d DIFFERENT", len(ms))
		}
		fmt.Printf("hparef: %-28s %3d syncs %2d rescales  %s\n", t.ID, len(t.Syncs), r, status)
		for _, m := range ms {
			bad = append(bad, m.Error())
		}
	}
	fmt.Printf("hparef: %d traces, %d decisions compared (%d rescales, %d status writes), %d different\n", len(f.Traces), syncs, rescales, writes, len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("sim/hpa decided differently from kube-controller-manager:\n%s", strings.Join(bad, "\n"))
	}
	if !canFail {
		return nil
	}
	altered := f.Config
	altered.Tolerance = 0.2
	caught := 0
	for i := range f.Traces {
		ms, err := hpa.ReplaySequence(altered.Config(), &f.Traces[i])
		if err != nil {
			return err
		}
		caught += len(ms)
	}
	if caught == 0 {
		return errors.New("a replay with tolerance 0.2 matched every decision: the comparison cannot fail")
	}
	fmt.Printf("hparef: the replay with tolerance 0.2 differs in %d decisions (the comparison can fail)\n", caught)
	return nil
}
