// Command mmcserver serves an M/M/c queue over HTTP on loopback, for the
// load-test end-to-end suite and hack/bench.
//
//	mmcserver -addr 127.0.0.1:18080 -workers 4 -mean 20ms -seed 1
//	mmcserver -addr 127.0.0.1:18080 -workers 3 -mean 50ms -cv 1.5   # M/G/3, lognormal
//	mmcserver -addr 127.0.0.1:18080 -trivial   # answers 200 at once
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	workers := flag.Int("workers", 4, "worker slots c")
	mean := flag.Duration("mean", 20*time.Millisecond, "mean service time")
	cv := flag.Float64("cv", 0, "lognormal service times with this coefficient of variation (0 or 1: exponential)")
	seed := flag.Uint64("seed", 1, "seed of the service times")
	trivial := flag.Bool("trivial", false, "answer every request at once with 200 (for throughput benchmarks)")
	flag.Parse()
	var h http.Handler
	if *trivial {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	} else {
		s, err := mmcserver.New(mmcserver.Config{Workers: *workers, MeanService: *mean, CV: *cv, Seed: *seed})
		if err != nil {
			fmt.Fprintln(os.Stderr, "mmcserver:", err)
			os.Exit(2)
		}
		h = s
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "mmcserver:", err)
		os.Exit(1)
	}
}
