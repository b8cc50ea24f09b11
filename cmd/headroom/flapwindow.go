package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// defaultFlapWindow is --flap-window's default.
const defaultFlapWindow = 10 * time.Minute

// bindFlapWindow adds --flap-window.
func bindFlapWindow(f *pflag.FlagSet, p *time.Duration) {
	*p = defaultFlapWindow
	f.DurationVar(p, "flap-window", defaultFlapWindow, "a scale event in the opposite direction of the previous one, at most this long after it, is a flap")
}

// validateFlapWindow checks --flap-window.
func validateFlapWindow(d time.Duration) error {
	if d <= 0 {
		return usageErrorf("--flap-window must be positive (a duration such as 10m), got %s", d)
	}
	return nil
}

// formatBurn prints an error-budget burn: "0" for none, "<0.01" for less,
// two decimals below 10, whole numbers above.
func formatBurn(b float64) string {
	switch {
	case b == 0:
		return "0"
	case b < 0.01:
		return "<0.01"
	case b < 10:
		return fmt.Sprintf("%.2f", b)
	}
	return fmt.Sprintf("%.0f", b)
}

// formatPercent prints a fraction as a percentage with three significant
// digits.
func formatPercent(f float64) string {
	if f == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.3g%%", 100*f)
}
