// Package mmcserver is an HTTP server that is an M/M/c queue: c worker
// slots, one FCFS queue in front of them, and exponential service times
// from a seeded source (or lognormal ones with Config.CV: an M/G/c queue). The e2e suites run against it on loopback to hold
// the built-in engine against model.MMc and calibration against the
// service time the server measured of itself; SamplePath replays a run's
// own arrivals and service times through an ideal queue, and RetryInvalid
// measures once more when the generator spoiled a run.
package mmcserver
