package model_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/headroom-dev/headroom/model"
)

// The conformance data: reference values for the queueing formulas, one
// JSON object per case (queueingCase below). A case names the model and
// the quantity, which together select its evaluator in quantities; its
// inputs lambda, mu, c (null when the quantity searches for it) and params;
// the expected value with its tolerance ("abs" or "rel"); its kind and
// source, and notes. Kind "published" cases come from printed tables and
// worked examples (Tijms, A First Course in Stochastic Models, Wiley 2003,
// §5.3; Gross and Harris, Fundamentals of Queueing Theory; Kimura 1991 and
// 1994; Bronson 1982; Erlang B tables), "computed" ones from independent
// high-precision computations (mpmath at 60 digits, math/big), "formula"
// ones from a closed form evaluated by hand (Allen–Cunneen, Whitt 1993,
// Kingman, Halfin–Whitt, Mitzenmacher's supermarket limit); each source
// field says which.
const queueingCasesFile = "../testdata/conformance/queueing_cases.json"

// extraCasesEnv names an optional second file with the same schema, for
// cases kept outside the repository.
const extraCasesEnv = "HEADROOM_EXTRA_QUEUEING_CASES"

// queueingCase is one row of the conformance data.
type queueingCase struct {
	Model         string                     `json:"model"`
	Lambda        *float64                   `json:"lambda"`
	Mu            *float64                   `json:"mu"`
	C             *float64                   `json:"c"`
	Quantity      string                     `json:"quantity"`
	Expected      float64                    `json:"expected"`
	Tolerance     float64                    `json:"tolerance"`
	ToleranceType string                     `json:"tolerance_type"`
	Source        string                     `json:"source"`
	Kind          string                     `json:"kind"`
	Params        map[string]json.RawMessage `json:"params"`
	Notes         string                     `json:"notes"`
}

// evaluator computes a case's quantity from its inputs, read through args.
type evaluator func(a *args) (float64, error)

// quantities is the dispatch table: "model/quantity" to the code under test.
// Each concept is evaluated here and nowhere else.
var quantities = map[string]evaluator{
	// Erlang B loss system (M/G/c/c).
	"erlang_b/blocking_prob": func(a *args) (float64, error) {
		return model.ErlangB(a.servers(), a.offered()), nil
	},
	"erlang_b/min_servers_blocking": count(func(a *args) (int, error) {
		return model.MinServersBlocking(a.lambda(), a.mu(), a.param("eps"))
	}),
	// Offered load in erlangs ("max traffic" in Erlang tables).
	"erlang_b/max_traffic_blocking": func(a *args) (float64, error) {
		return model.MaxTrafficBlocking(a.servers(), a.param("eps"))
	},

	// M/M/c, exact.
	"mmc/delay_prob":            mmcMetric(model.MMc.DelayProb),
	"mmc/prob_no_wait":          mmcMetric(func(q model.MMc) float64 { return 1 - q.DelayProb() }),
	"mmc/p_empty":               mmcMetric(model.MMc.EmptyProb),
	"mmc/occupancy":             mmcMetric(model.MMc.Utilisation),
	"mmc/mean_wait":             mmcMetric(model.MMc.MeanWait),
	"mmc/mean_response":         mmcMetric(model.MMc.MeanResponse),
	"mmc/mean_queue_len":        mmcMetric(model.MMc.MeanQueueLen),
	"mmc/mean_in_system":        mmcMetric(model.MMc.MeanInSystem),
	"mmc/conditional_mean_wait": mmcMetric(model.MMc.ConditionalMeanWait),
	"mmc/conditional_wait_tail": mmcAt("t", model.MMc.ConditionalWaitTail),
	"mmc/service_level":         mmcAt("t", model.MMc.ServiceLevel),
	"mmc/wait_quantile":         mmcAt("p", model.MMc.WaitQuantile),
	"mmc/response_quantile":     mmcAt("p", model.MMc.ResponseQuantile),
	"mmc/max_traffic_delay_prob": func(a *args) (float64, error) {
		return model.MaxTrafficDelayProb(a.servers(), a.param("alpha"))
	},
	"mmc/min_servers_delay_prob": count(func(a *args) (int, error) {
		return model.MinServersDelayProb(a.lambda(), a.mu(), a.param("alpha"))
	}),
	"mmc/min_servers_service_level": count(func(a *args) (int, error) {
		return model.MinServersServiceLevel(a.lambda(), a.mu(), a.param("t"), a.param("sl"))
	}),
	"mmc/min_servers_response_quantile": count(func(a *args) (int, error) {
		return model.MinServersResponseQuantile(a.lambda(), a.mu(), a.param("p"), a.param("target"))
	}),
	"mmc/min_servers_utilisation": count(func(a *args) (int, error) {
		return model.MinServersUtilisation(a.lambda(), a.mu(), a.param("rho_target"))
	}),

	// M/M/c/K.
	"mmck/blocking_prob":  mmckMetric(model.MMcK.BlockingProb),
	"mmck/mean_in_system": mmckMetric(model.MMcK.MeanInSystem),
	"mmck/mean_response":  mmckMetric(model.MMcK.MeanResponse),

	// Halfin–Whitt and square-root staffing.
	"halfin_whitt/delay_prob_limit": func(a *args) (float64, error) {
		return model.HalfinWhittDelayProb(a.param("beta")), nil
	},
	"halfin_whitt/sqrt_staffing_servers": count(func(a *args) (int, error) {
		return model.SqrtStaffingServers(a.lambda(), a.mu(), a.param("alpha"))
	}),

	// Single-server formulas.
	"mg1/mean_wait": func(a *args) (float64, error) {
		a.singleServer()
		a.poisson()
		return model.MeanWaitMG1(a.lambda(), a.mu(), a.param("cs2"))
	},
	"gg1/mean_wait_kingman": func(a *args) (float64, error) {
		a.singleServer()
		return model.MeanWaitKingman(a.lambda(), a.mu(), a.param("ca2"), a.param("cs2"))
	},
	"mg1_ps/mean_response": func(a *args) (float64, error) {
		a.singleServer()
		return model.MeanResponseMG1PS(a.lambda(), a.mu())
	},

	// Multi-server approximations.
	"ggc/mean_wait_allen_cunneen": func(a *args) (float64, error) {
		return model.MeanWaitAllenCunneen(a.lambda(), a.mu(), a.servers(), a.param("ca2"), a.param("cs2"))
	},
	"ggc/mean_wait_whitt1993": func(a *args) (float64, error) {
		return model.MeanWaitWhitt(a.lambda(), a.mu(), a.servers(), a.param("ca2"), a.param("cs2"))
	},
	"mdc/mean_wait_cosmetatos": func(a *args) (float64, error) {
		return model.MeanWaitCosmetatos(a.lambda(), a.mu(), a.servers())
	},
	// L_q = λ·E[W] (Little's law), as Kimura (1994) tabulates.
	"mgc/mean_queue_len_kimura": func(a *args) (float64, error) {
		w, err := model.MeanWaitKimura(a.lambda(), a.mu(), a.servers(), a.param("cs2"))
		return a.lambda() * w, err
	},
	"mgc/mean_queue_len_bjorklund_elldin": func(a *args) (float64, error) {
		w, err := model.MeanWaitBjorklundElldin(a.lambda(), a.mu(), a.servers(), a.param("cs2"))
		return a.lambda() * w, err
	},

	// Load balancing: the supermarket model's fixed point (power of d
	// choices over N → ∞ queues of c slots), and the shared-queue policy
	// over params.N pods of c slots, which is M/M/(N·c).
	"supermarket/mean_response": func(a *args) (float64, error) {
		k := a.servers()
		return model.SupermarketFixedPoint(a.intParam("d"), k, a.offered()/float64(k)).MeanResponse / a.mu(), nil
	},
	"shared_queue/mean_response": func(a *args) (float64, error) {
		w, lam := sharedQueuePods(a)
		return w.PodMeanResponse(lam)
	},
	"shared_queue/delay_prob": func(a *args) (float64, error) {
		w, lam := sharedQueuePods(a)
		c, _, err := w.PodWait(lam)
		return c, err
	},
	"shared_queue/response_quantile": func(a *args) (float64, error) {
		w, lam := sharedQueuePods(a)
		return w.PodResponseQuantile(lam, a.param("p"))
	},

	// Universal Scalability Law, fitted from params.measurements.
	"usl/usl_sigma":           uslMetric(func(u model.USL) float64 { return u.Sigma }),
	"usl/usl_kappa":           uslMetric(func(u model.USL) float64 { return u.Kappa }),
	"usl/usl_lambda":          uslMetric(func(u model.USL) float64 { return u.Lambda }),
	"usl/usl_max_concurrency": uslMetric(func(u model.USL) float64 { return float64(u.MaxConcurrency()) }),
	"usl/usl_max_throughput":  uslMetric(model.USL.MaxThroughput),
	"usl/usl_throughput_at": func(a *args) (float64, error) {
		n := a.param("N")
		u, err := model.FitUSL(a.measurements())
		return u.Throughput(n), err
	},
}

// sharedQueuePods is the workload of params.N pods of c exponential slots
// behind one shared queue, and the per-pod rate λ/N.
func sharedQueuePods(a *args) (model.Workload, float64) {
	n := a.intParam("N")
	w := model.Workload{
		ServiceMean: 1 / a.mu(), ServiceCS2: 1, Concurrency: a.servers(), CPURequest: 1,
		Balancing: model.Balancing{Policy: model.BalanceSharedQueue}, Pods: n,
	}
	return w, a.lambda() / float64(max(n, 1))
}

// count adapts a function returning a server count.
func count(f func(a *args) (int, error)) evaluator {
	return func(a *args) (float64, error) {
		n, err := f(a)
		return float64(n), err
	}
}

// mmcMetric evaluates a method of a validated M/M/c queue.
func mmcMetric(f func(model.MMc) float64) evaluator {
	return func(a *args) (float64, error) {
		q := model.MMc{Lambda: a.lambda(), Mu: a.mu(), C: a.servers()}
		if err := q.Validate(); err != nil && a.err == nil {
			return 0, err
		}
		return f(q), nil
	}
}

// mmcAt evaluates a method of a validated M/M/c queue at params[name].
func mmcAt(name string, f func(model.MMc, float64) float64) evaluator {
	return func(a *args) (float64, error) {
		x := a.param(name)
		return mmcMetric(func(q model.MMc) float64 { return f(q, x) })(a)
	}
}

// mmckMetric evaluates a method of a validated M/M/c/K queue, K from params.
func mmckMetric(f func(model.MMcK) float64) evaluator {
	return func(a *args) (float64, error) {
		q := model.MMcK{Lambda: a.lambda(), Mu: a.mu(), C: a.servers(), K: a.intParam("K")}
		if err := q.Validate(); err != nil && a.err == nil {
			return 0, err
		}
		return f(q), nil
	}
}

// uslMetric fits the USL to params.measurements and evaluates f on the fit.
func uslMetric(f func(model.USL) float64) evaluator {
	return func(a *args) (float64, error) {
		u, err := model.FitUSL(a.measurements())
		return f(u), err
	}
}

// args reads a case's inputs for an evaluator. A missing or malformed input
// is recorded in err (the first one wins) and read as 0, so that an
// evaluator can read all its inputs and the harness reports what was missing.
type args struct {
	tc   *queueingCase
	err  error
	used map[string]bool
}

func (a *args) fail(format string, v ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, v...)
	}
}

func (a *args) top(name string, v *float64) float64 {
	if v == nil {
		a.fail("%s is null", name)
		return 0
	}
	return *v
}

func (a *args) lambda() float64  { return a.top("lambda", a.tc.Lambda) }
func (a *args) mu() float64      { return a.top("mu", a.tc.Mu) }
func (a *args) offered() float64 { return a.lambda() / a.mu() }

func (a *args) servers() int {
	return a.integer("c", a.top("c", a.tc.C))
}

// singleServer checks that c, if given, is 1.
func (a *args) singleServer() {
	if a.tc.C != nil && *a.tc.C != 1 {
		a.fail("c = %g, want 1 for a single-server formula", *a.tc.C)
	}
}

// poisson checks that params.ca2, if given, is 1 (Poisson arrivals).
func (a *args) poisson() {
	if _, ok := a.tc.Params["ca2"]; ok {
		if ca2 := a.param("ca2"); ca2 != 1 {
			a.fail("params.ca2 = %g, want 1 for Poisson arrivals", ca2)
		}
	}
}

func (a *args) integer(name string, x float64) int {
	if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		a.fail("%s = %g is not an integer", name, x)
	}
	return int(x)
}

func (a *args) raw(name string) json.RawMessage {
	a.used[name] = true
	v, ok := a.tc.Params[name]
	if !ok || string(v) == "null" {
		a.fail("params.%s is missing", name)
		return nil
	}
	return v
}

func (a *args) param(name string) float64 {
	v := a.raw(name)
	if v == nil {
		return 0
	}
	var x float64
	if err := json.Unmarshal(v, &x); err != nil {
		a.fail("params.%s: %v", name, err)
	}
	return x
}

func (a *args) intParam(name string) int { return a.integer("params."+name, a.param(name)) }

func (a *args) measurements() []model.USLMeasurement {
	v := a.raw("measurements")
	if v == nil {
		return nil
	}
	var pts [][2]float64
	if err := json.Unmarshal(v, &pts); err != nil {
		a.fail("params.measurements: %v", err)
		return nil
	}
	ms := make([]model.USLMeasurement, len(pts))
	for i, p := range pts {
		ms[i] = model.USLMeasurement{Concurrency: p[0], Throughput: p[1]}
	}
	return ms
}

// unused returns the params the evaluator did not read, sorted.
func (a *args) unused() []string {
	var names []string
	for name := range a.tc.Params {
		if !a.used[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func TestQueueingConformance(t *testing.T) {
	files := []string{queueingCasesFile}
	if extra := os.Getenv(extraCasesEnv); extra != "" {
		files = append(files, extra)
	}
	for _, file := range files {
		cases := loadQueueingCases(t, file)
		t.Logf("%s: %d cases", file, len(cases))
		for _, tc := range cases {
			t.Run(caseName(tc), func(t *testing.T) { runQueueingCase(t, tc) })
		}
	}
}

func loadQueueingCases(t *testing.T, file string) []*queueingCase {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read conformance cases: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cases []*queueingCase
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", file)
	}
	return cases
}

func runQueueingCase(t *testing.T, tc *queueingCase) {
	key := tc.Model + "/" + tc.Quantity
	eval, ok := quantities[key]
	if !ok {
		t.Fatalf("unknown (model, quantity) %q; source: %s", key, tc.Source)
	}
	a := &args{tc: tc, used: map[string]bool{}}
	got, err := eval(a)
	if a.err != nil {
		t.Fatalf("%s: bad case: %v", key, a.err)
	}
	if unused := a.unused(); len(unused) > 0 {
		t.Fatalf("%s: params %v are not used by the evaluator: the case means something the harness does not check", key, unused)
	}
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	t.Logf("got %.17g, want %.17g (%s tol %g), off by %.3g", got, tc.Expected, tc.ToleranceType, tc.Tolerance, got-tc.Expected)
	if !withinTolerance(t, tc, got) {
		t.Errorf("%s = %.17g, want %.17g (%s tol %g); kind %s, source: %s; notes: %s",
			key, got, tc.Expected, tc.ToleranceType, tc.Tolerance, tc.Kind, tc.Source, tc.Notes)
	}
}

func withinTolerance(t *testing.T, tc *queueingCase, got float64) bool {
	t.Helper()
	diff := math.Abs(got - tc.Expected)
	switch tc.ToleranceType {
	case "abs":
		return diff <= tc.Tolerance
	case "rel":
		return diff <= tc.Tolerance*math.Abs(tc.Expected)
	}
	t.Fatalf("unknown tolerance_type %q", tc.ToleranceType)
	return false
}

// caseName builds a subtest name from the model, the quantity, a short tag
// of the source and the inputs, e.g.
// "mmc/delay_prob/Tijms/lambda=95,mu=1,c=100".
func caseName(tc *queueingCase) string {
	var in []string
	for _, f := range []struct {
		name string
		v    *float64
	}{{"lambda", tc.Lambda}, {"mu", tc.Mu}, {"c", tc.C}} {
		if f.v != nil {
			in = append(in, f.name+"="+strconv.FormatFloat(*f.v, 'g', 6, 64))
		}
	}
	names := make([]string, 0, len(tc.Params))
	for name := range tc.Params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		raw := tc.Params[name]
		var x float64
		if json.Unmarshal(raw, &x) == nil {
			in = append(in, name+"="+strconv.FormatFloat(x, 'g', 6, 64))
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			in = append(in, fmt.Sprintf("%s=%dpts", name, len(list)))
		}
	}
	return tc.Model + "/" + tc.Quantity + "/" + sourceTag(tc.Source) + "/" + strings.Join(in, ",")
}

// sourceTag shortens a source to its first words, the author, book or tool:
// "Tijms", "computed_here", "rodrigo-arenas_pyworkforce", "Gross_Harris".
func sourceTag(src string) string {
	if i := strings.IndexAny(src, ",;:("); i > 0 {
		src = src[:i]
	}
	words := slices.DeleteFunc(strings.Fields(src), func(w string) bool {
		return !strings.ContainsFunc(w, unicode.IsLetter)
	})
	switch {
	case len(words) == 0:
		return "unknown"
	case strings.Contains(words[0], "/"): // a repository path
		words = words[:1]
	case len(words) > 2:
		words = words[:2]
	}
	return strings.ReplaceAll(strings.Join(words, "_"), "/", "_")
}
