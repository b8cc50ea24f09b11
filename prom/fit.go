package prom

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Gate is the minimum history a fit needs to be trusted, like krr's
// points-required and history-duration settings. A fit below the gate is
// still returned, marked LowConfidence.
type Gate struct {
	// MinPoints is the fewest joined samples. Default 100.
	MinPoints int
	// MinHours is the shortest span the samples cover, in hours. Default 24.
	MinHours float64
	// MinR2 is the lowest coefficient of determination of a regression
	// before it is marked low-confidence. Default 0.5.
	MinR2 float64
}

// DefaultGate is the gate of `headroom observe` without flags.
var DefaultGate = Gate{MinPoints: 100, MinHours: 24, MinR2: 0.5}

// ErrTooFewPoints is returned (wrapped) when there are too few samples to
// compute anything at all (fewer than three for a regression).
var ErrTooFewPoints = errors.New("too few samples")

// Fit is a straight line y = Intercept + Slope·x fitted by least squares,
// with its quality.
type Fit struct {
	Intercept float64 `json:"intercept"`
	Slope     float64 `json:"slope"`
	// R2 is the coefficient of determination.
	R2 float64 `json:"r2"`
	// ResidualSD is the standard deviation of the residuals, in y's unit
	// (n-2 degrees of freedom).
	ResidualSD float64 `json:"residualSD"`
	// Points is how many (x, y) pairs were fitted; Hours the span they cover.
	Points int     `json:"points"`
	Hours  float64 `json:"hours"`
	// LowConfidence is set when the fit is below the gate; Reasons says why.
	LowConfidence bool     `json:"lowConfidence,omitempty"`
	Reasons       []string `json:"reasons,omitempty"`
}

// FitLine fits y = a + b·x (gonum stat.LinearRegression, unweighted) to the
// pairs and grades it against the gate. x and y must have the same length,
// at least 3; x must vary.
func FitLine(x, y []float64, hours float64, g Gate) (Fit, error) {
	if len(x) != len(y) {
		return Fit{}, fmt.Errorf("fit: %d x values but %d y values", len(x), len(y))
	}
	n := len(x)
	if n < 3 {
		return Fit{}, fmt.Errorf("fit: %d joined samples, need at least 3: %w", n, ErrTooFewPoints)
	}
	_, vx := stat.MeanVariance(x, nil)
	if !(vx > 0) {
		return Fit{}, fmt.Errorf("fit: the explanatory series is constant (%.6g) over all %d samples, so a slope cannot be separated from the intercept; observe a window with varying traffic", x[0], n)
	}
	a, b := stat.LinearRegression(x, y, nil, false)
	var ss float64
	for i := range x {
		r := y[i] - (a + b*x[i])
		ss += r * r
	}
	f := Fit{
		Intercept:  a,
		Slope:      b,
		R2:         rSquared(x, y, a, b),
		ResidualSD: math.Sqrt(ss / float64(n-2)),
		Points:     n,
		Hours:      hours,
	}
	f.grade(g)
	return f, nil
}

// rSquared is 1 − SS_res/SS_tot; 1 when y is constant and fitted exactly.
func rSquared(x, y []float64, a, b float64) float64 {
	my := stat.Mean(y, nil)
	var res, tot float64
	for i := range x {
		r := y[i] - (a + b*x[i])
		d := y[i] - my
		res += r * r
		tot += d * d
	}
	if tot == 0 {
		return 1
	}
	return 1 - res/tot
}

func (f *Fit) grade(g Gate) {
	if f.Points < g.MinPoints {
		f.Reasons = append(f.Reasons, fmt.Sprintf("%d points, below the %d required", f.Points, g.MinPoints))
	}
	if f.Hours < g.MinHours {
		f.Reasons = append(f.Reasons, fmt.Sprintf("%.1f h of history, below the %g h required", f.Hours, g.MinHours))
	}
	if f.R2 < g.MinR2 {
		f.Reasons = append(f.Reasons, fmt.Sprintf("R² %.2f, below %g", f.R2, g.MinR2))
	}
	f.LowConfidence = len(f.Reasons) > 0
}

// Quantiles returns the q-quantiles of xs by linear interpolation of the
// empirical CDF (gonum stat.LinInterp, R's quantile type 4). xs is not
// modified.
func Quantiles(xs []float64, qs ...float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = stat.Quantile(q, stat.LinInterp, s, nil)
	}
	return out
}

// HistogramQuantile returns the q-quantile of the observations counted by
// cumulative buckets sorted by bound (the last one +Inf), interpolating
// linearly inside the bucket that holds it, as PromQL's histogram_quantile
// does: the lowest bucket is taken to start at 0 when its bound is
// positive. Counts that decrease from one bucket to the next (a scrape
// racing an observation) are raised to the running maximum. beyond is true
// when the quantile lies in the +Inf bucket; the result is then the
// largest finite bound, a lower limit.
func HistogramQuantile(q float64, bs []Bucket) (v float64, beyond bool, err error) {
	if !(q > 0 && q < 1) {
		return 0, false, fmt.Errorf("histogram quantile %g is not in (0, 1)", q)
	}
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].UpperBound, 1) {
		return 0, false, fmt.Errorf("histogram needs a +Inf bucket and at least one finite bucket, got %d buckets", len(bs))
	}
	cum := make([]float64, len(bs))
	for i, b := range bs {
		cum[i] = b.Count
		if i > 0 && cum[i] < cum[i-1] {
			cum[i] = cum[i-1]
		}
	}
	total := cum[len(cum)-1]
	if !(total > 0) {
		return 0, false, fmt.Errorf("histogram holds no observations: %w", ErrNoData)
	}
	rank := q * total
	i := sort.Search(len(cum), func(i int) bool { return cum[i] >= rank })
	if i == len(bs)-1 {
		return bs[len(bs)-2].UpperBound, true, nil
	}
	lo, below := 0.0, 0.0
	if i > 0 {
		lo, below = bs[i-1].UpperBound, cum[i-1]
	} else if bs[0].UpperBound <= 0 {
		return bs[0].UpperBound, false, nil
	}
	hi := bs[i].UpperBound
	in := cum[i] - below
	if in == 0 {
		return hi, false, nil
	}
	return lo + (hi-lo)*(rank-below)/in, false, nil
}

// Trend is a linear fit of a quantity over time in days, projected ahead
// with a prediction interval.
type Trend struct {
	Fit
	// At is the projection's offset in days from the first day.
	At float64 `json:"at"`
	// Point is the projected value; Lower and Upper bound the prediction
	// interval at Level.
	Point float64 `json:"point"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	Level float64 `json:"level"`
}

// ProjectTrend fits y = a + b·x to (days, values) and projects it to x0
// with the prediction interval of a new observation at level (e.g. 0.95):
//
//	ŷ0 ± t(1−(1−level)/2; n−2) · s · √(1 + 1/n + (x0 − x̄)² / Σ(x − x̄)²)
//
// (Montgomery, Peck & Vining, Introduction to Linear Regression Analysis,
// 5th ed., §2.5, eq. 2.45), s the residual standard deviation.
//
// The fit is graded against g with Hours the span of days.
func ProjectTrend(days, values []float64, x0, level float64, g Gate) (Trend, error) {
	if !(level > 0 && level < 1) {
		return Trend{}, fmt.Errorf("prediction level %g is not in (0, 1)", level)
	}
	span := 0.0
	if len(days) > 0 {
		span = 24 * (days[len(days)-1] - days[0])
	}
	f, err := FitLine(days, values, span, g)
	if err != nil {
		return Trend{}, err
	}
	n := float64(len(days))
	mx := stat.Mean(days, nil)
	var sxx float64
	for _, x := range days {
		sxx += (x - mx) * (x - mx)
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 2}.Quantile(1 - (1-level)/2)
	half := t * f.ResidualSD * math.Sqrt(1+1/n+(x0-mx)*(x0-mx)/sxx)
	p := f.Intercept + f.Slope*x0
	return Trend{Fit: f, At: x0, Point: p, Lower: p - half, Upper: p + half, Level: level}, nil
}
