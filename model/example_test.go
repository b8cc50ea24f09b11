package model_test

import (
	"errors"
	"fmt"

	"github.com/headroom-dev/headroom/model"
)

// Tijms (2003), p. 200: with 100 servers at 95 % utilisation about half of
// the arrivals wait.
func ExampleErlangC() {
	fmt.Printf("P(W>0) = %.4f\n", model.ErlangC(100, 95))
	// The recursion holds where a^c/c! overflows.
	fmt.Printf("C(100000, 90000) = %.6e\n", model.ErlangC(100000, 90000))
	// Output:
	// P(W>0) = 0.5065
	// C(100000, 90000) = 1.980034e-235
}

// Gross and Harris, Fundamentals of Queueing Theory, Example 2.2: three
// servers, 6 arrivals and 3 completions per server per hour.
func ExampleMMc() {
	q := model.MMc{Lambda: 6, Mu: 3, C: 3}
	if err := q.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("utilisation %.4f\n", q.Utilisation())
	fmt.Printf("P0 %.4f, P(W>0) %.4f\n", q.EmptyProb(), q.DelayProb())
	fmt.Printf("Lq %.4f, L %.4f\n", q.MeanQueueLen(), q.MeanInSystem())
	fmt.Printf("Wq %.4f h, W %.4f h\n", q.MeanWait(), q.MeanResponse())
	// Output:
	// utilisation 0.6667
	// P0 0.1111, P(W>0) 0.4444
	// Lq 0.8889, L 2.8889
	// Wq 0.1481 h, W 0.4815 h
}

// The p95 response time of 904 servers with a mean service time of 0.3 s at
// 3 000 requests per second, and of one server fewer.
func ExampleMMc_ResponseQuantile() {
	for _, c := range []int{904, 903} {
		q := model.MMc{Lambda: 3000, Mu: 1 / 0.3, C: c}
		fmt.Printf("c=%d: p95 %.4f s, p99 %.4f s\n", c, q.ResponseQuantile(0.95), q.ResponseQuantile(0.99))
	}
	// Output:
	// c=904: p95 0.9731 s, p99 1.4559 s
	// c=903: p95 1.0081 s, p99 1.4911 s
}

func ExampleMMc_Validate() {
	err := model.MMc{Lambda: 12, Mu: 1, C: 10}.Validate()
	fmt.Println(errors.Is(err, model.ErrUnstable))
	fmt.Println(err)
	// Output:
	// true
	// offered load λ/μ = 12 erlangs on c = 10 servers: queue is unstable: offered load is not below the number of servers
}

// Sizing for a p95 latency SLO of 1 s (a case of
// testdata/conformance/queueing_cases.json), and an SLO that no
// number of servers can meet because the service time alone is too slow.
func ExampleMinServersResponseQuantile() {
	c, err := model.MinServersResponseQuantile(3000, 1/0.3, 0.95, 1.0)
	fmt.Println(c, err)

	_, err = model.MinServersResponseQuantile(3000, 1/0.5, 0.95, 1.0)
	var inf *model.InfeasibleError
	if errors.As(err, &inf) {
		fmt.Printf("infeasible: the SLO must be at least %.3f s\n", inf.Bound)
	}
	// Output:
	// 904 <nil>
	// infeasible: the SLO must be at least 1.498 s
}

// Tijms (2003), Table 5.3.2: servers for P(W>0) ≤ 10 % at 1 000 erlangs,
// exactly and by the square-root rule, which is one short here.
func ExampleMinServersDelayProb() {
	exact, _ := model.MinServersDelayProb(1000, 1, 0.1)
	approx, _ := model.SqrtStaffingServers(1000, 1, 0.1)
	fmt.Println(exact, approx)
	// Output:
	// 1046 1045
}

// An Erlang-B table row: 15 trunks at 2 % blocking carry 9.01 erlangs.
func ExampleMaxTrafficBlocking() {
	a, _ := model.MaxTrafficBlocking(15, 0.02)
	fmt.Printf("%.3f erlangs\n", a)
	// Output:
	// 9.010 erlangs
}

// A finite queue: 5 servers and room for 10 requests at 4.5 erlangs.
func ExampleMMcK() {
	q := model.MMcK{Lambda: 4.5, Mu: 1, C: 5, K: 10}
	fmt.Printf("blocked %.4f, L %.4f, E[T] %.4f\n", q.BlockingProb(), q.MeanInSystem(), q.MeanResponse())
	// Output:
	// blocked 0.0757, L 5.4777, E[T] 1.3170
}

// The p95 response time of 10 servers at 90 % utilisation for service
// times less and more variable than exponential (an approximation; cs2 = 1
// is the exact M/M/c value).
func ExampleResponseQuantileGGc() {
	for _, cs2 := range []float64{0.25, 1, 4} {
		q, err := model.ResponseQuantileGGc(9, 1, 10, 1, cs2, 0.95)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("cs2=%g: p95 %.3f\n", cs2, q)
	}
	// Output:
	// cs2=0.25: p95 2.884
	// cs2=1: p95 4.361
	// cs2=4: p95 8.839
}

// Turning a measured mean and p95 into the squared coefficient of variation
// of a gamma service time, and back.
func ExampleFitServiceCS2() {
	cs2, err := model.FitServiceCS2(0.2, 0.5, 0.95)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("cs2 = %.4f, p95 = %.4f s\n", cs2, model.ServiceQuantile(1/0.2, cs2, 0.95))
	// Output:
	// cs2 = 0.5888, p95 = 0.5000 s
}

// Fitting the Universal Scalability Law to the example data of
// codahale/usl (concurrency, requests per second).
func ExampleFitUSL() {
	ms := []model.USLMeasurement{
		{Concurrency: 1, Throughput: 65}, {Concurrency: 18, Throughput: 996},
		{Concurrency: 36, Throughput: 1652}, {Concurrency: 72, Throughput: 1853},
		{Concurrency: 108, Throughput: 1829}, {Concurrency: 144, Throughput: 1775},
		{Concurrency: 216, Throughput: 1702},
	}
	u, err := model.FitUSL(ms)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("σ = %.4f, κ = %.3e, λ = %.2f\n", u.Sigma, u.Kappa, u.Lambda)
	fmt.Printf("peak %d at %.0f req/s\n", u.MaxConcurrency(), u.MaxThroughput())
	// Output:
	// σ = 0.0277, κ = 1.043e-04, λ = 89.99
	// peak 96 at 1884 req/s
}
