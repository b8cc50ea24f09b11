// Command promgen writes the synthetic data of package gen as OpenMetrics
// files, one per two-hour block, for the e2e suite to backfill.
//
//	promgen -out DIR -end 2026-11-27T10:00:00Z
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/headroom-dev/headroom/prom/internal/gen"
)

func main() {
	out := flag.String("out", "", "directory for the .om files (must exist)")
	end := flag.String("end", "", "last sample time, RFC 3339 (truncated to the hour)")
	flag.Parse()
	t, err := time.Parse(time.RFC3339, *end)
	if *out == "" || err != nil {
		fmt.Fprintln(os.Stderr, "usage: promgen -out DIR -end RFC3339-TIME")
		os.Exit(2)
	}
	files, err := gen.Default(t).WriteOpenMetrics(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "promgen:", err)
		os.Exit(1)
	}
	fmt.Printf("promgen: %d files in %s\n", len(files), *out)
}
