"""PyTorch implementation of SparseGPT + BR+GP (PAPER.md §2–3) on a transformers
model, run on exactly the calibration and held-out windows `secateurs prune` uses
(same SplitMix64 document sampling, checked by fingerprint), timed in the same
session as ours: the reference side of `cargo xtask bench prune`.

Per block: Hessians from the sparse stream through forward hooks on every linear;
SparseGPT (the published column sweep, `bench_sparse_reference.sparsegpt_reference`);
targets = the dense block on the dense stream (GP); AdamW (lr decaying linearly to 0,
betas 0.9/0.95, eps 1e-8, no weight decay) over every parameter of the block with
masked gradients and masks re-applied after each step; then both streams advance.

Usage: bench_prune_reference.py MODEL CALIB HELDOUT NSAMPLES HELDOUT_N SEQLEN EPOCHS BATCH OUT.json
"""

import copy
import hashlib
import json
import pathlib
import resource
import struct
import sys
import time

import torch
import transformers

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from bench_sparse_reference import sparsegpt_reference  # noqa: E402

MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        zone = MASK64 - MASK64 % n
        while True:
            r = self.next_u64()
            if r < zone:
                return r % n


def documents(path):
    text = pathlib.Path(path).read_text()
    return [d.strip() for d in text.split("\n\n") if d.strip()]


def fingerprint(ids, seqlen, provenance):
    h = hashlib.sha256(provenance.encode())
    h.update(struct.pack("<Q", seqlen))
    for i in ids:
        h.update(struct.pack("<q", i))
    return h.hexdigest()[:16]


def sampled_windows(tok, path, count, seqlen, seed):
    docs = [tok(d, add_special_tokens=False).input_ids for d in documents(path)]
    rng = SplitMix64(seed)
    ids = []
    while len(ids) < count * seqlen:
        doc = docs[rng.below(len(docs))]
        if len(doc) <= seqlen:
            continue
        offset = rng.below(len(doc) - seqlen)
        ids.extend(doc[offset : offset + seqlen])
    name = pathlib.Path(path).name
    return torch.tensor(ids).view(count, seqlen), fingerprint(ids, seqlen, f"sampled:{name}:seed={seed}")


def contiguous_windows(tok, path, count, seqlen):
    ids = tok("\n\n".join(documents(path)), add_special_tokens=False).input_ids[: count * seqlen]
    return torch.tensor(ids).view(count, seqlen)


def main():
    model_dir, calib_path, heldout_path = sys.argv[1:4]
    nsamples, heldout_n, seqlen, epochs, batch = map(int, sys.argv[4:9])
    out = pathlib.Path(sys.argv[9])
    torch.manual_seed(0)
    started = time.perf_counter()
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    model.requires_grad_(False)
    calib, calib_fp = sampled_windows(tok, calib_path, nsamples, seqlen, 0)
    heldout = contiguous_windows(tok, heldout_path, heldout_n, seqlen)

    inner = model.model
    positions = torch.arange(seqlen).unsqueeze(0)
    causal = torch.full((seqlen, seqlen), torch.finfo(torch.float32).min).triu(1).view(1, 1, seqlen, seqlen)

    def run_layer(layer, x):
        cos_sin = inner.rotary_emb(x, positions.expand(x.shape[0], -1))
        out = layer(x, attention_mask=causal.expand(x.shape[0], -1, -1, -1), position_ids=positions, position_embeddings=cos_sin)
        return out[0] if isinstance(out, tuple) else out

    def forward_all(layer, x):
        with torch.no_grad():
            return torch.cat([run_layer(layer, x[i : i + batch]) for i in range(0, x.shape[0], batch)])

    with torch.no_grad():
        x, xd = inner.embed_tokens(calib), inner.embed_tokens(calib)
        hx, hxd = inner.embed_tokens(heldout), inner.embed_tokens(heldout)
    steps_per_epoch = (nsamples + batch - 1) // batch
    total_steps = epochs * steps_per_epoch
    errors = []
    for index, layer in enumerate(inner.layers):
        dense = copy.deepcopy(layer)
        linears = {n: m for n, m in layer.named_modules() if isinstance(m, torch.nn.Linear)}
        hessians = {n: torch.zeros(m.in_features, m.in_features) for n, m in linears.items()}
        counts = {n: 0 for n in linears}

        def hook(name):
            def add(_, inputs, __):
                inp = inputs[0].reshape(-1, inputs[0].shape[-1]).float()
                n = inp.shape[0]
                hessians[name] *= counts[name] / (counts[name] + n)
                counts[name] += n
                inp = (2 / counts[name]) ** 0.5 * inp
                hessians[name] += inp.t() @ inp

            return add

        handles = [m.register_forward_hook(hook(n)) for n, m in linears.items()]
        forward_all(layer, x)
        for h in handles:
            h.remove()
        masks = {}
        for name, m in linears.items():
            weight, mask = sparsegpt_reference(m.weight.data, hessians[name])
            m.weight.data = weight
            masks[name] = mask.float()
        target = forward_all(dense, xd)
        params = [p for p in layer.parameters()]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (total_steps - s) / total_steps)
        generator = torch.Generator().manual_seed(index)
        for _ in range(epochs):
            order = torch.randperm(nsamples, generator=generator)
            for start in range(0, nsamples, batch):
                rows = order[start : start + batch]
                opt.zero_grad()
                loss = ((run_layer(layer, x[rows]) - target[rows]) ** 2).mean()
                loss.backward()
                for name, m in linears.items():
                    m.weight.grad *= masks[name]
                opt.step()
                sched.step()
                with torch.no_grad():
                    for name, m in linears.items():
                        m.weight.mul_(masks[name])
        for p in params:
            p.requires_grad_(False)
        x, xd = forward_all(layer, x), forward_all(dense, xd)
        hx, hxd = forward_all(layer, hx), forward_all(dense, hxd)
        errors.append({"calib": ((x - xd) ** 2).mean().item(), "heldout": ((hx - hxd) ** 2).mean().item()})
        print(f"reference block {index + 1}/{len(inner.layers)}: error {errors[-1]['calib']:.4e} (held-out {errors[-1]['heldout']:.4e})", file=sys.stderr)
    result = {
        "seconds": time.perf_counter() - started,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "calib_fingerprint": calib_fp,
        "blocks": errors,
        "threads": torch.get_num_threads(),
    }
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
