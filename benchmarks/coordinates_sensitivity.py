"""What the parcel coordinates do in the demo BrainLM (the figures of docs/foundation.md).

On the demo's held-out corpus (``skfmm.foundation.registry.demo_held_out_corpus``: 60
subjects of the pretraining distribution, fixed masks as in ``demo_held_out_mse``), the
masked-patch MSE with the true parcel coordinates, with the coordinates permuted across
parcels (5 permutations), all zero, and uniform random in the brain's box; then how far the
CLS embedding moves when the coordinates are permuted or zeroed, next to how far it moves
between two different subjects (the scale of what the downstream head reads); and the size
of the coordinate term in the first layer next to the signal term (``xyz_embedding_projection``
vs ``signal_embedding_projection``). The same for a BrainLM of the demo's architecture with
random weights. ``--model DIR`` evaluates another model directory (e.g. released BrainLM
weights with their own corpus: not shipped).

    python benchmarks/coordinates_sensitivity.py
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from skfmm.foundation import BrainLM, load_foundation_model
from skfmm.foundation.pretrain import masked_patch_mse
from skfmm.foundation.registry import demo_held_out_corpus
from skfmm.utils.threads import limited_threads


def _cls(model, ts, coords):
    with torch.no_grad():
        signal = torch.as_tensor(np.ascontiguousarray(ts.transpose(0, 2, 1)))
        xyz = torch.as_tensor(np.broadcast_to(coords, (len(ts), *coords.shape)).copy(),
                              dtype=torch.float32)
        return model.encode(signal, xyz)[:, 0].numpy()


def _term_sizes(model, ts, coords):
    emb = model.embeddings if hasattr(model, "embeddings") else model.vit.embeddings
    with torch.no_grad():
        patch = emb.patch
        x = torch.as_tensor(ts.transpose(0, 2, 1)).reshape(len(ts), ts.shape[2], -1, patch)
        signal = emb.signal_embedding_projection(x)
        xyz_term = emb.xyz_embedding_projection(torch.as_tensor(coords, dtype=torch.float32))
        xyz_centred = xyz_term - xyz_term.mean(0, keepdim=True)  # the part that differs per parcel
    return (float(signal.norm(dim=-1).mean()), float(xyz_term.norm(dim=-1).mean()),
            float(xyz_centred.norm(dim=-1).mean()))


def evaluate(name, model, ts, coords, seed=0):
    rng = np.random.default_rng(seed)
    variants = {"true": coords, "zeros": np.zeros_like(coords),
                "random": rng.uniform(coords.min(0), coords.max(0), coords.shape)}
    for k in range(5):
        variants[f"permuted_{k}"] = coords[rng.permutation(len(coords))]
    mse = {k: masked_patch_mse(model, ts, v, random_state=5)["model"] for k, v in variants.items()}
    cls_true = _cls(model, ts, coords)
    between = np.linalg.norm(cls_true - np.roll(cls_true, 1, axis=0), axis=1).mean()
    moves = {k: np.linalg.norm(_cls(model, ts, variants[k]) - cls_true, axis=1).mean()
             for k in ("zeros", "permuted_0")}
    signal, xyz, xyz_var = _term_sizes(model, ts, coords)
    perm = [mse[f"permuted_{k}"] for k in range(5)]
    print(f"\n== {name}")
    print(f"masked-patch MSE: true {mse['true']:.4f} | permuted {np.mean(perm):.4f} "
          f"(range {min(perm):.4f}-{max(perm):.4f}) | zeros {mse['zeros']:.4f} | "
          f"random {mse['random']:.4f}")
    print(f"largest change from true: {max(abs(v - mse['true']) for v in mse.values()):.4f}")
    print(f"CLS distance: between two subjects {between:.4f} | true vs permuted coords "
          f"{moves['permuted_0']:.4f} | true vs zero coords {moves['zeros']:.4f}")
    print(f"first-layer term norms (mean over tokens): signal {signal:.3f} | coordinates "
          f"{xyz:.3f}, of which parcel-specific (minus the mean over parcels) {xyz_var:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with limited_threads(args.threads):
        corpus, ts = demo_held_out_corpus()
        coords = np.asarray(corpus.coords, dtype=np.float32)
        model = load_foundation_model(args.model, verbose=0)
        evaluate(f"{args.model} (pretrained)", model.eval(), ts, coords)
        random = BrainLM(model.config, random_state=0).eval()
        evaluate("same architecture, random weights", random, ts, coords)


if __name__ == "__main__":
    main()
