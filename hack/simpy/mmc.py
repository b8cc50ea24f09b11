#!/usr/bin/python3
"""M/M/c queue in SimPy, the same model as headroom's BenchmarkDESMMc10.

Debian bookworm packages SimPy 2.3.1 (python3-simpy), whose API is the
classic one (Process subclasses, `yield request/hold/release`). Run with
Debian's interpreter:

    apt-get install -y python3-simpy
    /usr/bin/python3 hack/simpy/mmc.py --requests 1000000

It prints the simulated requests per second of CPU time and the mean wait,
to compare with `go test ./sim -run '^$' -bench DESMMc10` (Mreq/s-cpu).
"""
import argparse
import random
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize,
                              now, release, request, simulate, stopSimulation)


class Stats:
    def __init__(self, target):
        self.target = target
        self.done = 0
        self.wait_sum = 0.0


class Customer(Process):
    def serve(self, server, rng, mu, stats):
        arrived = now()
        yield request, self, server
        stats.wait_sum += now() - arrived
        yield hold, self, rng.expovariate(mu)
        yield release, self, server
        stats.done += 1
        if stats.done >= stats.target:
            stopSimulation()


class Source(Process):
    def generate(self, server, rng, lam, mu, stats):
        while True:
            c = Customer()
            activate(c, c.serve(server, rng, mu, stats))
            yield hold, self, rng.expovariate(lam)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=10)
    ap.add_argument("--rho", type=float, default=0.9)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    mu = 1.0
    lam = a.rho * a.servers * mu
    rng = random.Random(a.seed)
    stats = Stats(a.requests)
    initialize()
    server = Resource(capacity=a.servers)
    src = Source()
    activate(src, src.generate(server, rng, lam, mu, stats))
    t0 = time.process_time()
    simulate(until=1e12)
    cpu = time.process_time() - t0
    print(f"simpy M/M/{a.servers} rho={a.rho}: {stats.done} requests in {cpu:.2f} s CPU "
          f"= {stats.done / cpu / 1e6:.4f} Mreq/s-cpu; mean wait {stats.wait_sum / stats.done:.4f}")


if __name__ == "__main__":
    main()
