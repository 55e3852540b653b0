"""SimPy's machine-shop model, for comparing twinscape's engine with SimPy.

The model is SimPy's "Machine Shop" example (10 machines, processing time
normal(10, 2) minutes drawn again while <= 0, time to failure exponential with
mean 300 minutes, 30-minute repairs by one repairman who is pre-empted from
30-minute other jobs). Usage:

    python machine_shop.py --seeds 1 20 [--weeks 4] [--time]

prints one JSON object per seed: parts and failures per machine, other jobs
done, events processed, and (with --time) the seconds env.run took in a
second, uncounted run of the same seed (best of --repeat runs).
"""

import argparse
import json
import random
import time

import simpy

PT_MEAN = 10.0
PT_SIGMA = 2.0
MTTF = 300.0
REPAIR_TIME = 30.0
JOB_DURATION = 30.0
NUM_MACHINES = 10


def time_per_part():
    t = random.normalvariate(PT_MEAN, PT_SIGMA)
    while t <= 0:
        t = random.normalvariate(PT_MEAN, PT_SIGMA)
    return t


def time_to_failure():
    return random.expovariate(1.0 / MTTF)


class Machine:
    def __init__(self, env, name, repairman):
        self.env = env
        self.name = name
        self.parts_made = 0
        self.failures = 0
        self.broken = False
        self.process = env.process(self.working(repairman))
        env.process(self.break_machine())

    def working(self, repairman):
        while True:
            done_in = time_per_part()
            while done_in:
                try:
                    start = self.env.now
                    yield self.env.timeout(done_in)
                    done_in = 0
                except simpy.Interrupt:
                    self.broken = True
                    self.failures += 1
                    done_in -= self.env.now - start
                    with repairman.request(priority=1) as req:
                        yield req
                        yield self.env.timeout(REPAIR_TIME)
                    self.broken = False
            self.parts_made += 1

    def break_machine(self):
        while True:
            yield self.env.timeout(time_to_failure())
            if not self.broken:
                self.process.interrupt()


def other_jobs(env, repairman, done):
    while True:
        done_in = JOB_DURATION
        while done_in:
            with repairman.request(priority=2) as req:
                yield req
                try:
                    start = env.now
                    yield env.timeout(done_in)
                    done_in = 0
                except simpy.Interrupt:
                    done_in -= env.now - start
        done[0] += 1


def build(seed):
    random.seed(seed)
    env = simpy.Environment()
    repairman = simpy.PreemptiveResource(env, capacity=1)
    machines = [Machine(env, "Machine %d" % i, repairman) for i in range(NUM_MACHINES)]
    done = [0]
    env.process(other_jobs(env, repairman, done))
    return env, machines, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", nargs=2, type=int, default=[42, 42], metavar=("FIRST", "LAST"))
    ap.add_argument("--weeks", type=float, default=4)
    ap.add_argument("--time", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="with --time: best of this many runs")
    args = ap.parse_args()
    until = args.weeks * 7 * 24 * 60
    for seed in range(args.seeds[0], args.seeds[1] + 1):
        env, machines, done = build(seed)
        events = 0
        while env.peek() < until:
            env.step()
            events += 1
        out = {
            "seed": seed,
            "parts": [m.parts_made for m in machines],
            "failures": [m.failures for m in machines],
            "other_jobs": done[0],
            "events": events,
        }
        if args.time:
            best = float("inf")
            for _ in range(max(1, args.repeat)):
                env, machines, done = build(seed)
                t = time.perf_counter()
                env.run(until=until)
                best = min(best, time.perf_counter() - t)
                assert [m.parts_made for m in machines] == out["parts"]
            out["seconds"] = best
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
