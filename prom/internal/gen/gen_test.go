package gen

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWriteOpenMetrics checks the properties promtool's importer needs and
// the events the e2e test relies on: every file ends with # EOF, each
// metric family is declared once and its samples are contiguous, a
// series' timestamps increase, one pod's counters reset once, and the
// gap has no samples.
func TestWriteOpenMetrics(t *testing.T) {
	p := Default(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	p.Days = 1
	start := p.Start()
	p.ResetAt = start.Add(5 * time.Hour)
	p.GapAt, p.GapFor = start.Add(3*time.Hour), 30*time.Minute
	dir := t.TempDir()
	files, err := p.WriteOpenMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 13 {
		t.Errorf("%d files for a day ending on an even hour, want 13 two-hour blocks", len(files))
	}
	resetPod := `pod="` + p.podName(p.ResetPod) + `"`
	last := map[string]float64{}
	lastT := map[string]int64{}
	resets, samples := 0, 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		declared := map[string]bool{}
		family, lastLine := "", ""
		for sc.Scan() {
			line := sc.Text()
			lastLine = line
			if strings.HasPrefix(line, "# TYPE ") {
				family = strings.Fields(line)[2]
				if declared[family] {
					t.Errorf("%s: family %s declared twice", name, family)
				}
				declared[family] = true
				continue
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			if !strings.HasPrefix(line, family) {
				t.Fatalf("%s: sample %q outside its family %s", name, line, family)
			}
			fs := strings.Fields(line)
			key := fs[0]
			v, _ := strconv.ParseFloat(fs[1], 64)
			ts, _ := strconv.ParseInt(fs[2], 10, 64)
			if ts <= lastT[key] && lastT[key] != 0 {
				t.Fatalf("%s: %s timestamps not increasing at %d", name, key, ts)
			}
			tm := time.Unix(ts, 0)
			if !tm.Before(p.GapAt) && tm.Before(p.GapAt.Add(p.GapFor)) {
				t.Fatalf("%s: sample at %s inside the gap", name, tm)
			}
			if strings.HasSuffix(fs[0][:strings.IndexByte(fs[0], '{')], "_total") && v < last[key] {
				if !strings.Contains(key, resetPod) || tm.Before(p.ResetAt) {
					t.Errorf("counter %s decreased at %s", key, tm)
				}
				resets++
			}
			last[key], lastT[key] = v, ts
			samples++
		}
		f.Close()
		if lastLine != "# EOF" {
			t.Errorf("%s ends with %q, want # EOF", name, lastLine)
		}
	}
	// The reset pod's request counter and its two CPU counters reset.
	if resets != 3 {
		t.Errorf("%d counter resets, want 3 (requests, cpu, pod cpu of pod %d)", resets, p.ResetPod)
	}
	if samples == 0 {
		t.Fatal("no samples")
	}
}

func TestParams_Truth(t *testing.T) {
	p := Default(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	// Log-normal with mean 80 ms and CV 0.8: σ² = ln 1.64, μ = ln 0.08 − σ²/2;
	// p95 = exp(μ + 1.6449 σ) (closed form).
	if got := p.ServiceP95(); math.Abs(got-0.19866) > 1e-4 {
		t.Errorf("ServiceP95 = %g, want 0.19866", got)
	}
	if got := p.serviceCDF(p.ServiceP95()); math.Abs(got-0.95) > 1e-12 {
		t.Errorf("CDF(p95) = %g", got)
	}
	day := p.Start().Truncate(24 * time.Hour).Add(48 * time.Hour)
	if got, want := p.PeakOn(day), p.Rate(day.Add(15*time.Hour)); got != want {
		t.Errorf("PeakOn = %g, want the rate at 15:00 %g", got, want)
	}
}
