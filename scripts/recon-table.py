"""Markdown table of the recon acceptance runs in a directory (see recon-acceptance.sh)."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])


def ppl(name):
    results = json.loads((out / f"{name}.eval.json").read_text())["results"]
    value = lambda r: r.get("perplexity,none", r.get("ppl"))  # noqa: E731 (older result files say "ppl")
    return value(results["enwiki"]), value(results["mobydick"])


print("| Pruner | Recon | Error calib | Error held-out | ppl enwiki | ppl moby | Sparsity | Wall time (s) | Peak RSS (GB) |")
print("|---|---|---|---|---|---|---|---|---|")
e, m = ppl("dense")
print(f"| Dense | – | – | – | {e:.2f} | {m:.2f} | 0 | – | – |")
names = ["magnitude-lr", "magnitude-br+gp", "wanda-lr", "wanda-br", "wanda-br+gp", "wanda-br+gp+cr", "sparsegpt-lr", "sparsegpt-br+gp"]
for name in names:
    run_file = out / name / "run.json"
    if not run_file.exists():
        continue
    run = json.loads(run_file.read_text())
    last = run["blocks"][-1]["error"]
    sparsity = json.loads((out / name / "sparsity.json").read_text())["measured"]["sparsity"]
    e, m = ppl(name)
    pruner, recon = name.split("-", 1)
    rss = run["memory"]["peak_rss_bytes"] / 1e9
    print(f"| {pruner} | {recon.upper()} | {last['calib']:.1f} | {last['heldout']:.1f} | {e:.2f} | {m:.2f} | {sparsity:.4f} | {run['seconds']['total']:.0f} | {rss:.2f} |")

print()
print("Error after block 25 (index 25; the point the issue's PyTorch reference quotes), and the cut BR+GP makes:")
print()
print("| Pruner | LR calib | BR+GP calib | cut | LR held-out | BR+GP held-out | cut |")
print("|---|---|---|---|---|---|---|")
for pruner in ["magnitude", "wanda", "sparsegpt"]:
    runs = {}
    for recon in ["lr", "br+gp"]:
        run_file = out / f"{pruner}-{recon}" / "run.json"
        if run_file.exists():
            runs[recon] = json.loads(run_file.read_text())["blocks"][25]["error"]
    if len(runs) == 2:
        lr, gp = runs["lr"], runs["br+gp"]
        cut = lambda a, b: f"{100 * (1 - b / a):.0f}%"  # noqa: E731
        print(f"| {pruner} | {lr['calib']:.1f} | {gp['calib']:.1f} | {cut(lr['calib'], gp['calib'])} | {lr['heldout']:.1f} | {gp['heldout']:.1f} | {cut(lr['heldout'], gp['heldout'])} |")
