"""Data and models shared by the interpretation tests (imported by name, as pytest puts this
folder on sys.path)."""

import numpy as np

from skfmm import FMMTCClassifier, MultimodalData

N_REGIONS, WINDOW, N = 8, 40, 24
LABELS = np.array(["non-responder", "responder"])


def make_data(n=N, seed=0, covariates=False):
    rng = np.random.default_rng(seed)
    y = LABELS[np.arange(n) % 2]
    ts = rng.standard_normal((n, WINDOW, N_REGIONS)).astype("float32")
    shared = rng.standard_normal((n, WINDOW, 1)).astype("float32")
    ts[y == "responder", :, :3] += 1.5 * shared[y == "responder"]
    fc = np.stack([np.corrcoef(t.T) for t in ts]).astype("float32")
    xyz = np.broadcast_to(rng.uniform(-60, 60, (N_REGIONS, 3)), (n, N_REGIONS, 3)).copy()
    arrays = dict(ts=ts, fc=fc, xyz=xyz)
    if covariates:
        arrays["covariates"] = rng.normal(50, 10, (n, 2))
    return MultimodalData(**arrays), y


def small(foundation_model=None, **kw):
    params = dict(foundation_model=foundation_model, fc_encoder="mlp", module__fc_width=32,
                  module__fc_features=8, module__ts_features=8, module__ts_width=8,
                  max_epochs=4, train_split=None, verbose=0, random_state=0)
    params.update(kw)
    return FMMTCClassifier(**params)
