package prom

import (
	"fmt"
	"strings"
	"time"

	pmodel "github.com/prometheus/common/model"
)

// MaxWindow bounds an observation window.
const MaxWindow = 400 * 24 * time.Hour

// ParseDuration parses a duration as Prometheus writes them ("14d", "2w",
// "1d12h", "90s", "500ms"), or as Go does ("1h30m", "1.5h"); it must be
// positive and at most 400 days. what names the flag or field in errors.
func ParseDuration(what, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%s is empty; write a duration such as 14d, 12h or 30s", what)
	}
	d, err := pmodel.ParseDuration(s)
	var v time.Duration
	if err == nil {
		v = time.Duration(d)
	} else {
		gv, gerr := time.ParseDuration(s)
		if gerr != nil {
			return 0, fmt.Errorf("%s %q is not a duration; write it as 14d, 2w, 12h, 30s or 1h30m", what, s)
		}
		v = gv
	}
	if v <= 0 {
		return 0, fmt.Errorf("%s must be greater than 0, got %q", what, s)
	}
	if v > MaxWindow {
		return 0, fmt.Errorf("%s %q is longer than 400 days", what, s)
	}
	return v, nil
}

// FormatDuration writes d as Prometheus does ("5m", "1d12h"), but whole
// days as days ("14d", not "2w"), as capacity reviews count them.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return pmodel.Duration(d).String()
}
