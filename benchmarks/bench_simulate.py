"""Speed of the simulated cohort generator (make_pain_cohort, make_pretraining_corpus).

    python benchmarks/bench_simulate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

from skfmm.datasets import make_pain_cohort, make_pretraining_corpus
from skfmm.datasets.simulate import make_parcel_layout


def best_time(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for n_regions in (100, 424):
        make_parcel_layout(n_regions)  # the layout is cached; time the simulation itself
    cases = [
        ("make_pain_cohort(56 x 100 regions x 220 TR)", lambda: make_pain_cohort()),
        ("make_pain_cohort(56 x 424 regions x 220 TR)", lambda: make_pain_cohort(n_regions=424)),
        (
            "make_pain_cohort(56 x 100, confounds, vary_length=20)",
            lambda: make_pain_cohort(confounds=True, vary_length=20),
        ),
        ("make_pretraining_corpus(200 x 100 regions x 220 TR)", lambda: make_pretraining_corpus()),
    ]
    for name, func in cases:
        seconds = best_time(func, args.repeats)
        print(f"{name:55s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
