"""PyTorch reference pruners, run on the same layers as secateurs' `sparse_compare`,
timed in the same session, and compared: the table of `cargo xtask bench sparse`.

The references follow the published algorithms as the original code runs them:
- SparseGPT's `fasterprune` (blocks of 128 columns, mask per block by
  w^2 / [H^-1]_jj^2 against a `<=` threshold, column-by-column OBS update);
- Wanda's metric |W| * sqrt(mean x^2) with a stable sort per output row;
- the paper's magnitude baseline, one `<=` threshold over the whole layer.

Usage: bench_sparse_reference.py DIR (holding inputs.safetensors, ours.safetensors,
ours.json from sparse_compare). Prints a markdown table and writes DIR/table.md.
"""

import json
import pathlib
import sys
import time

import torch
from safetensors.torch import load_file

SPARSITY = 0.5
BLOCK_SIZE = 128
DAMPING = 0.01


def magnitude_reference(w, h):
    score = w.abs()
    threshold = torch.sort(score.flatten())[0][int(score.numel() * SPARSITY)]
    pruned = score <= threshold
    return w.masked_fill(pruned, 0), ~pruned


def wanda_reference(w, h):
    mean_sq = torch.diag(h) / 2  # H = (2/N) sum x x^T, so diag(H)/2 = mean x^2
    score = w.abs() * torch.sqrt(mean_sq).reshape(1, -1)
    order = torch.sort(score, dim=-1, stable=True)[1]
    pruned = torch.zeros_like(w, dtype=torch.bool)
    pruned.scatter_(1, order[:, : int(w.shape[1] * SPARSITY)], True)
    return w.masked_fill(pruned, 0), ~pruned


def sparsegpt_reference(w, h):
    w = w.clone().float()
    h = h.clone()
    cols = w.shape[1]
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    diag = torch.arange(cols)
    h[diag, diag] += DAMPING * torch.mean(torch.diag(h))
    hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    pruned = torch.zeros_like(w, dtype=torch.bool)
    for i1 in range(0, cols, BLOCK_SIZE):
        i2 = min(i1 + BLOCK_SIZE, cols)
        w1 = w[:, i1:i2].clone()
        q1 = torch.zeros_like(w1)
        err1 = torch.zeros_like(w1)
        hinv1 = hinv[i1:i2, i1:i2]
        score = w1 ** 2 / torch.diag(hinv1).reshape(1, -1) ** 2
        threshold = torch.sort(score.flatten())[0][int(score.numel() * SPARSITY)]
        mask1 = score <= threshold
        for i in range(i2 - i1):
            column = w1[:, i]
            q = column.clone()
            q[mask1[:, i]] = 0
            q1[:, i] = q
            e = (column - q) / hinv1[i, i]
            w1[:, i:] -= e.unsqueeze(1).matmul(hinv1[i, i:].unsqueeze(0))
            err1[:, i] = e
        w[:, i1:i2] = q1
        pruned[:, i1:i2] = mask1
        w[:, i2:] -= err1.matmul(hinv[i1:i2, i2:])
    return w, ~pruned


REFERENCES = {"magnitude": magnitude_reference, "wanda": wanda_reference, "sparsegpt": sparsegpt_reference}


def output_error(w, pruned, h):
    """tr((W - W') H (W - W')^T): the layer's output error on its calibration inputs."""
    d = (w - pruned).double()
    return torch.einsum("ij,jk,ik->", d, h.double(), d).item()


def main():
    folder = pathlib.Path(sys.argv[1])
    ours_meta = json.loads((folder / "ours.json").read_text())
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(ours_meta["threads"])
    inputs = load_file(str(folder / "inputs.safetensors"))
    ours = load_file(str(folder / "ours.safetensors"))
    shapes = [k[: -len(".weight")] for k in inputs if k.endswith(".weight")]
    rows = [
        f"| shape [out, in] | method | ours (ms) | PyTorch (ms) | ours / PyTorch | mask agreement | output error ours / PyTorch |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for shape in sorted(shapes, key=lambda s: [int(x) for x in s.split("x")]):
        w, h = inputs[f"{shape}.weight"], inputs[f"{shape}.hessian"]
        for name, reference in REFERENCES.items():
            best = float("inf")
            for _ in range(repeats + 1):
                start = time.perf_counter()
                ref_weight, ref_mask = reference(w, h)
                best = min(best, time.perf_counter() - start)
            our_weight = ours[f"{shape}.{name}.weight"]
            our_mask = ours[f"{shape}.{name}.mask"].bool()
            ours_s = ours_meta["seconds"][f"{shape}.{name}"]
            agreement = (our_mask == ref_mask).float().mean().item()
            error_ratio = output_error(w, our_weight, h) / output_error(w, ref_weight, h)
            rows.append(
                f"| [{shape.replace('x', ', ')}] | {name} | {ours_s * 1e3:.1f} | {best * 1e3:.1f} | "
                f"{ours_s / best:.2f} | {agreement:.6f} | {error_ratio:.4f} |"
            )
            print(rows[-1], file=sys.stderr)
    table = "\n".join(rows) + "\n"
    (folder / "table.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
