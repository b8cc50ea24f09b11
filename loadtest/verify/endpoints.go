package verify

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// EndpointComparison is one endpoint of a request mix, measured against
// the mixture model bucket by bucket: its response time is the service's
// shared wait plus its own service time (model.EndpointResponse), at the
// simulation's predicted rate per Ready pod in the bucket.
type EndpointComparison struct {
	Name string `json:"name"`
	// PlannedShare is the endpoint's weight over the mix's; MeasuredShare
	// its fraction of the requests sent.
	PlannedShare  float64       `json:"plannedShare"`
	MeasuredShare float64       `json:"measuredShare"`
	Rows          []EndpointRow `json:"rows"`
	// MeanMAPE and P95MAPE are over the rows with requests and a
	// prediction (a stable queue).
	MeanMAPE float64 `json:"meanMAPE"`
	P95MAPE  float64 `json:"p95MAPE"`
	// Errors says what the endpoint's failures look like.
	Errors ErrorDiagnosis `json:"errors"`
}

// EndpointRow is one bucket of an endpoint; latencies in seconds. A
// prediction of 0 means none (no rate, or the queue predicted unstable:
// Overloaded).
type EndpointRow struct {
	FromSeconds       float64 `json:"fromSeconds"`
	ToSeconds         float64 `json:"toSeconds"`
	Requests          int64   `json:"requests"`
	MeasuredMean      float64 `json:"measuredMean"`
	PredictedMean     float64 `json:"predictedMean"`
	MeasuredP95       float64 `json:"measuredP95"`
	PredictedP95      float64 `json:"predictedP95"`
	MeasuredErrorRate float64 `json:"measuredErrorRate"`
	Overloaded        bool    `json:"overloaded,omitempty"`
}

// Causes of ErrorDiagnosis.
const (
	ErrorCauseNone     = "none"
	ErrorCauseCapacity = "capacity"
	ErrorCauseRequest  = "broken-request"
	ErrorCauseMixed    = "mixed"
	ErrorCauseOther    = "other"
)

// ErrorDiagnosis tells a capacity failure from a broken request by the
// failures' classes (loadtest.Window.ErrorClasses) and how they move with
// the offered load. Capacity classes are timeouts, refused and reset
// connections and HTTP 429, 502, 503 and 504; request classes are the
// other 4xx. Windows are split at the median target rate: request errors
// in the lower half too ("at any load") make a broken request; capacity
// errors whose rate is higher in the upper half than in the lower (or that
// come at a constant rate, which cannot tell) make a capacity failure.
type ErrorDiagnosis struct {
	Cause   string           `json:"cause"`
	Detail  string           `json:"detail,omitempty"`
	Classes map[string]int64 `json:"classes,omitempty"`
}

// capacityClass reports whether an error class is what an overloaded
// service produces.
func capacityClass(c string) bool {
	switch c {
	case loadtest.ErrorTimeout, loadtest.ErrorConnectionRefused, loadtest.ErrorConnectionReset,
		"http_429", "http_502", "http_503", "http_504":
		return true
	}
	return false
}

// requestClass reports whether an error class says the request itself is
// wrong: a 4xx other than 408 and 429.
func requestClass(c string) bool {
	code, err := strconv.Atoi(strings.TrimPrefix(c, "http_"))
	return strings.HasPrefix(c, "http_") && err == nil && code >= 400 && code < 500 && code != 408 && code != 429
}

// DiagnoseErrors classifies the failures of a run's (or an endpoint's)
// windows; see ErrorDiagnosis.
func DiagnoseErrors(ws []loadtest.Window) ErrorDiagnosis {
	classes := map[string]int64{}
	var errs int64
	for _, w := range ws {
		errs += w.Errors
		for k, v := range w.ErrorClasses {
			classes[k] += v
		}
	}
	if errs == 0 {
		return ErrorDiagnosis{Cause: ErrorCauseNone}
	}
	d := ErrorDiagnosis{Classes: classes}
	if len(classes) == 0 {
		d.Cause, d.Detail = ErrorCauseOther, fmt.Sprintf("%d failures, not classified by the engine", errs)
		return d
	}
	rates := make([]float64, len(ws))
	for i, w := range ws {
		rates[i] = w.TargetRate
	}
	sort.Float64s(rates)
	median := rates[len(rates)/2]
	flat := rates[0] == rates[len(rates)-1]
	var lowReq, reqN, capN int64
	var lowCap, highCap, lowSent, highSent float64
	for _, w := range ws {
		low := w.TargetRate < median || flat
		for k, v := range w.ErrorClasses {
			switch {
			case requestClass(k):
				reqN += v
				if low {
					lowReq += v
				}
			case capacityClass(k):
				capN += v
				if low {
					lowCap += float64(v)
				} else {
					highCap += float64(v)
				}
			}
		}
		if low {
			lowSent += float64(w.Sent)
		} else {
			highSent += float64(w.Sent)
		}
	}
	broken := reqN > 0 && lowReq > 0
	var capacity bool
	var how string
	switch {
	case capN == 0:
	case flat:
		capacity, how = true, "at a constant rate (a stepped or ramped run would show whether they rise with load)"
	case highSent > 0 && (lowSent == 0 || highCap/highSent > lowCap/lowSent):
		capacity, how = true, fmt.Sprintf("rising with load (%.2g %% of requests below the median rate, %.2g %% above)", 100*ratio(lowCap, lowSent), 100*ratio(highCap, highSent))
	}
	list := classList(classes)
	switch {
	case broken && capacity:
		d.Cause, d.Detail = ErrorCauseMixed, fmt.Sprintf("%d client errors at every load (a broken request) and %d capacity errors %s: %s", reqN, capN, how, list)
	case broken:
		d.Cause, d.Detail = ErrorCauseRequest, fmt.Sprintf("%d client errors at every load, low load included: the request is wrong (auth, path or body), not the capacity: %s", reqN, list)
	case capacity:
		d.Cause, d.Detail = ErrorCauseCapacity, fmt.Sprintf("%d timeouts, refusals, resets or 429/502/503/504 %s: %s", capN, how, list)
	default:
		d.Cause, d.Detail = ErrorCauseOther, list
	}
	return d
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// classList writes classes as "http_503 12, timeout 3", largest first.
func classList(classes map[string]int64) string {
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if classes[keys[i]] != classes[keys[j]] {
			return classes[keys[i]] > classes[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, classes[k])
	}
	return strings.Join(parts, ", ")
}

// compareEndpoints compares each endpoint of the result's mix with the
// plan service's mixture model, bucket by bucket: the bucket's predicted
// arrival rate over its predicted Ready replicas is one pod's rate (the
// simulator spreads requests over pods, each its own queue, Poisson:
// c_a² = 1). It returns the comparisons and the caveats.
func compareEndpoints(svc *scenarios.Service, res *loadtest.Result, bs *buckets) ([]EndpointComparison, []string) {
	if len(res.Endpoints) == 0 {
		return nil, nil
	}
	var caveats []string
	parts, err := svc.ServiceMixture()
	if err != nil || len(parts) == 0 {
		return nil, []string{fmt.Sprintf("the result has %d endpoints but service %s has no endpoints in the plan: no per-endpoint prediction", len(res.Endpoints), svc.Name)}
	}
	index := map[string]int{}
	for i, e := range svc.Endpoints {
		index[e.Name] = i
	}
	shares := svc.EndpointShares()
	sentBy := func(er loadtest.EndpointResult) int64 {
		var n int64
		for _, w := range er.Windows {
			n += w.Sent
		}
		return n
	}
	var sent int64
	for _, er := range res.Endpoints {
		sent += sentBy(er)
	}
	var out []EndpointComparison
	for _, er := range res.Endpoints {
		k, ok := index[er.Name]
		if !ok {
			caveats = append(caveats, fmt.Sprintf("endpoint %s of the result is not in the plan's service %s", er.Name, svc.Name))
			continue
		}
		ec := EndpointComparison{Name: er.Name, PlannedShare: shares[k], Errors: DiagnoseErrors(er.Windows)}
		if sent > 0 {
			ec.MeasuredShare = float64(sentBy(er)) / float64(sent)
		}
		ec.Rows, ec.MeanMAPE, ec.P95MAPE = endpointRows(svc, parts, k, er, res, bs)
		out = append(out, ec)
	}
	return out, caveats
}

// endpointRows buckets an endpoint's windows and predicts each bucket.
func endpointRows(svc *scenarios.Service, parts []model.MixtureComponent, k int, er loadtest.EndpointResult, res *loadtest.Result, bs *buckets) ([]EndpointRow, float64, float64) {
	type acc struct {
		hist              *loadtest.Histogram
		completed, errors int64
	}
	accs := make([]acc, len(bs.b))
	for _, w := range er.Windows {
		i := min(max(int(w.ScenarioTime/bs.width.Seconds()), 0), len(bs.b)-1)
		if accs[i].hist == nil {
			accs[i].hist = loadtest.NewHistogram()
		}
		accs[i].hist.Merge(w.Latency)
		accs[i].completed += w.Completed
		accs[i].errors += w.Errors
	}
	var rows []EndpointRow
	var meanErr, p95Err []float64
	width := bs.width.Seconds()
	for i, a := range accs {
		if a.hist == nil || !bs.b[i].seen {
			continue
		}
		row := EndpointRow{FromSeconds: float64(i) * width, ToSeconds: math.Min(float64(i+1)*width, bs.total.Seconds()), Requests: a.completed}
		if a.completed > 0 {
			row.MeasuredErrorRate = float64(a.errors) / float64(a.completed)
		}
		if a.hist.Count() > 0 {
			row.MeasuredMean, row.MeasuredP95 = a.hist.Mean(), a.hist.Quantile(0.95)
		}
		b := bs.b[i]
		if b.predSamples > 0 && b.predReady > 0 {
			lam := b.predArr / (b.predSamples * width) / (b.predReady / b.predSamples)
			m, q, err := model.EndpointResponse(lam, svc.Concurrency, 1, parts, k, 0.95)
			switch {
			case err == nil:
				row.PredictedMean, row.PredictedP95 = m, q
			case lam > 0:
				row.Overloaded = true
			}
		}
		if a.hist.Count() > 0 {
			if rel, ok := relErr(row.MeasuredMean, row.PredictedMean); ok {
				meanErr = append(meanErr, rel)
			}
			if rel, ok := relErr(row.MeasuredP95, row.PredictedP95); ok {
				p95Err = append(p95Err, rel)
			}
		}
		rows = append(rows, row)
	}
	return rows, mean(meanErr), mean(p95Err)
}

// judgeEndpoints adds a mix's per-endpoint reasons: a p95 or mean off the
// mixture model by more than AgreeP95MAPE, or a broken request.
func (c *Comparison) judgeEndpoints() {
	for _, e := range c.Endpoints {
		if e.P95MAPE > AgreeP95MAPE {
			c.Reasons = append(c.Reasons, fmt.Sprintf("endpoint %s: p95 MAPE %.1f %% > %.0f %%", e.Name, e.P95MAPE*100, AgreeP95MAPE*100))
		}
		if e.MeanMAPE > AgreeP95MAPE {
			c.Reasons = append(c.Reasons, fmt.Sprintf("endpoint %s: mean MAPE %.1f %% > %.0f %%", e.Name, e.MeanMAPE*100, AgreeP95MAPE*100))
		}
		if e.Errors.Cause == ErrorCauseRequest || e.Errors.Cause == ErrorCauseMixed {
			c.Reasons = append(c.Reasons, fmt.Sprintf("endpoint %s: %s", e.Name, e.Errors.Detail))
		}
	}
}
