// Command genplan writes a synthetic capacity plan of many services and
// scenarios (package internal/genplan), for benchmarking headroom on plans
// larger than the examples:
//
//	go run ./hack/genplan -services 200 -scenarios 5 > /tmp/plan.yaml
//	time bin/headroom size -f /tmp/plan.yaml -o json > /dev/null
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/headroom-dev/headroom/internal/genplan"
)

func main() {
	services := flag.Int("services", 200, "number of services")
	scenarios := flag.Int("scenarios", 5, "number of scenarios")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *services < 1 || *scenarios < 1 {
		fmt.Fprintln(os.Stderr, "genplan: -services and -scenarios must be at least 1")
		os.Exit(2)
	}
	os.Stdout.WriteString(genplan.Generate(*services, *scenarios, *seed))
}
