// Package review builds a capacity review of a plan: everything a review
// decides, as one value (a record.Review) that package reports renders.
//
// Build, for a validated plan:
//
//  1. sizes every service at each scenario's peak, in the review's mode
//     and by the utilisation ceiling alone (capacity.Size), and recommends
//     changes (capacity.Propose); the proposed HPAs are those, or the
//     user's;
//  2. simulates every scenario with today's HPAs and with the proposed
//     ones (sim.Run), at most GOMAXPROCS runs at a time, each sampled at
//     about 300 points;
//  3. plans each event's pre-scale with the proposal (capacity.PlanPreScales:
//     the restore when the simulated load allows), merges the events'
//     pre-scales of one HPA into one schedule (capacity.MergePreScales) and
//     simulates each event with it and the same window at today's traffic;
//  4. assembles the sections (per service, scenario and event), the risks,
//     the changes, the costs and a verdict, the CLI's table rows, and the
//     capacity curves of the services whose figures the review shows.
//
// The same plan, seed and options give the same review: the runs are
// deterministic and land in fixed slots whatever the scheduling.
package review
