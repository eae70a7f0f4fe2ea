#!/usr/bin/env bash
# The recon acceptance protocol on SmolLM2-135M (issue 5, sized for 2 CPU cores):
# 50% unstructured; calibration 16 x 256 tokens sampled from brown.txt (seed 0);
# held-out 8 x 256 from the start of enwiki.txt; BR with batch 4 and 5 epochs;
# perplexity on the first 32 non-overlapping 512-token windows of enwiki.txt and
# mobydick.txt. Writes runs under $OUT (default target/recon-acceptance) and the
# markdown table to $OUT/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/recon-acceptance}
MODEL=assets/models/smollm2-135m
BIN=${BIN:-target/debug/secateurs}
mkdir -p "$OUT"
common=(--model "$MODEL" --sparsity 0.5 --calib assets/corpora/brown.txt --nsamples 16 --seqlen 256 --seed 0
        --heldout assets/corpora/enwiki.txt --heldout-nsamples 8 --batch-size 4 --epochs 5)
evaluate() { "$BIN" eval --model "$1" --ppl assets/corpora/enwiki.txt assets/corpora/mobydick.txt --windows 32 --seqlen 512 --out "$2"; }

[ -f "$OUT/dense.eval.json" ] || evaluate "$MODEL" "$OUT/dense.eval.json"
rows=("magnitude lr" "wanda lr" "sparsegpt lr" "magnitude br --gp" "wanda br --gp" "sparsegpt br --gp" "wanda br" "wanda br --gp --cr 2")
for row in "${rows[@]}"; do
  set -- $row
  method=$1; recon=$2; shift 2
  name="$method-$recon$(printf '%s' "$*" | tr -d ' -' | sed 's/gp/+gp/; s/cr2/+cr/')"
  group=(); [ "$method" = magnitude ] && group=(--group row)
  if [ ! -f "$OUT/$name/run.json" ]; then
    echo "== $name" >&2
    /usr/bin/time -v "$BIN" prune "${common[@]}" --method "$method" "${group[@]}" --recon "$recon" "$@" --out "$OUT/$name" 2> "$OUT/$name.log"
  fi
  [ -f "$OUT/$name.eval.json" ] || evaluate "$OUT/$name" "$OUT/$name.eval.json"
done
python3 scripts/recon-table.py "$OUT" > "$OUT/table.md"
cat "$OUT/table.md"
