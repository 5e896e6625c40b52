"""Speed of the subject bootstrap of a pooled out-of-fold metric: skfmm's vectorised weights
against ``scipy.stats.bootstrap`` (the one bootstrap skfmm uses elsewhere).

The subject bootstrap of ``summarize(method="subjects")`` and ``paired_difference`` resamples
subjects and recomputes every metric on the pooled out-of-fold predictions of each repeat. It
is written as multinomial subject weights times confusion counts (and a weighted Mann-Whitney
AUROC), all samples at once. ``scipy.stats.bootstrap`` would resample subject indices and call a
statistic per sample; it is timed here on the same task, both with a per-sample scikit-learn
statistic and with a vectorised numpy MCC, so the hand-written path stays only if it is faster.

    PYTHONPATH=. python benchmarks/bench_bootstrap.py [--n-subjects 56] [--n-boot 2000]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats
from sklearn.metrics import matthews_corrcoef, roc_auc_score

from skfmm.evaluation._bootstrap import pooled_values, subject_weights

from bench_simulate import best_time  # the scripts' folder is on sys.path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-subjects", type=int, default=56)
    parser.add_argument("--n-repeats", type=int, default=2)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    n, b = args.n_subjects, args.n_boot
    rng = np.random.default_rng(0)
    truth = rng.permutation(np.repeat([True, False], n // 2 + 1)[:n])
    preds = [rng.random(n) < 0.5 for _ in range(args.n_repeats)]
    scores = [rng.random(n) for _ in range(args.n_repeats)]
    idx = np.arange(n)
    repeats = [(idx, truth, p, s) for p, s in zip(preds, scores)]

    def ours():
        return pooled_values(repeats, subject_weights(n, b, 0))

    def scipy_sklearn(method, n_resamples):
        def statistic(i):
            i = i.astype(int)
            return np.mean([matthews_corrcoef(truth[i], p[i]) + roc_auc_score(truth[i], s[i])
                            for p, s in zip(preds, scores)])
        return stats.bootstrap((idx,), statistic, n_resamples=n_resamples, vectorized=False,
                               method=method, random_state=0)

    def scipy_numpy_mcc(method):
        def statistic(i, axis=-1):
            i = i.astype(int)
            t = truth[i]
            out = []
            for p in preds:
                q = p[i]
                tp, tn = (t & q).sum(-1), (~t & ~q).sum(-1)
                fp, fn = (~t & q).sum(-1), (t & ~q).sum(-1)
                den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn) + 0.0)
                out.append(np.where(den > 0, (tp * tn - fp * fn) / np.where(den > 0, den, 1),
                                    0.0))
            return np.mean(out, axis=0)
        return stats.bootstrap((idx,), statistic, n_resamples=b, vectorized=True,
                               method=method, random_state=0)

    cases = [
        ("skfmm weights: all 7 metrics, percentile", ours, 3),
        ("scipy.stats.bootstrap, numpy MCC only, percentile",
         lambda: scipy_numpy_mcc("percentile"), 3),
        ("scipy.stats.bootstrap, numpy MCC only, BCa", lambda: scipy_numpy_mcc("BCa"), 3),
        # 1/10 of the samples, scaled up: a per-sample scikit-learn statistic is slow.
        ("scipy.stats.bootstrap, sklearn MCC + AUROC, percentile",
         lambda: scipy_sklearn("percentile", max(b // 10, 1)), 1),
    ]
    base = None
    print(f"{n} subjects, {args.n_repeats} repeats, {b} bootstrap samples")
    for name, func, repeats_ in cases:
        seconds = best_time(func, repeats_)
        if "sklearn" in name:
            seconds *= b / max(b // 10, 1)
        base = base or seconds
        print(f"{name:58s} {seconds * 1000:9.1f} ms  ({seconds / base:6.1f} x skfmm)")


if __name__ == "__main__":
    main()
