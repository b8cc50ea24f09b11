// Package capacity makes headroom's decisions over a validated plan: how
// many replicas and how much CPU and memory each service needs, and what
// to change. It reads the plan (package scenarios), does the maths with
// package model and, for the searches, runs package sim; it writes
// nothing and renders nothing.
//
//   - Size sizes every service at each scenario's peak (a SizingReport:
//     required replicas, the binding constraint, latency and utilisation at
//     that size, suggested requests, a status) and packs the pods onto
//     nodes.
//   - Propose is the one recommender behind report, tune and rightsize
//     --patches: per service it chooses the HPA's CPU target, minReplicas
//     and maxReplicas jointly by bisection with the simulator as the
//     oracle (budget burn ≤ 1 with a robustness margin, never worse than
//     today, the plan's redundancy floor), a vertical size for fixed-size
//     services, and the usage floors (UsagePeak); Recommend, the sizing's
//     resource changes, is its starting point; ProposedHPAs collects the
//     HPA specs.
//   - PlanPreScales plans an event's pre-scale with the recommender's
//     proposal: each floor raised early enough that pods and nodes are
//     Ready before the rise, maxReplicas raised for the event only when
//     the proposal's permanent maximum does not cover the peak, and the
//     restore at the earliest instant the simulated load allows;
//     MergePreScales merges the overlapping pre-scales of one HPA into one
//     schedule; PreScales is the fixed-delay plan against today's HPAs.
//   - Rightsize and RightsizePlan recommend requests and limits from usage
//     history (model.Rightsize: VPA-compatible or krr-style), moving the
//     HPA's utilisation targets so its scale point stays put;
//     ResourceChange is the reviewable change that goes with each;
//     RightsizeProposal (NewRightsizeProposals) is the recommender's
//     proposal that rightsize --out-dir patches, reported next to them.
//   - Evaluator evaluates one service's settings exactly as Propose's
//     search does (the same runs, margin, ensemble, weighted cost and
//     never-worse rule, Point and Outcome); the tune command runs Propose
//     (ProposeService, TuneReport).
//   - Sweep is the brute-force alternative to the search: every cell of a
//     grid file (SweepGrid: HPA settings, TuneGrid, and resources,
//     ParseSweepGrid) evaluated with the Evaluator, the best chosen as
//     Propose chooses, split into shards (Shard: candidate i belongs to
//     shard i mod N) that run anywhere and merge (MergeSweep) in any order
//     into the same bytes as the whole. Package cluster renders the
//     Kubernetes Indexed Job that runs the shards.
//
// Candidates are simulated in parallel, at most GOMAXPROCS at a time
// (golang.org/x/sync/errgroup); each writes its own slot, so the results do
// not depend on the scheduling.
package capacity
