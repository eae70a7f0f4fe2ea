//! Runs our pruners on synthetic layers of real model shapes and writes what the
//! PyTorch reference run (`xtask/py/bench_sparse_reference.py`) needs to compare
//! against them in the same session: `inputs.safetensors` (weights, Hessians),
//! `ours.safetensors` (masks, pruned weights) and `ours.json` (timings).
//! Driven by `cargo xtask bench sparse`; run it alone with `--help`.

use std::path::PathBuf;
use std::time::Instant;

use secateurs_sparse::{LayerStats, SparsitySpec, method};
use tch::{Device, Kind, Tensor};

/// Layer shapes `[out, in]`: SmolLM2-135M's attention and MLP, LLaMA-7B's.
const SHAPES: [[i64; 2]; 5] = [[576, 576], [1536, 576], [576, 1536], [4096, 4096], [11008, 4096]];
/// Calibration tokens per layer.
const TOKENS: i64 = 2048;
/// (method, comparison group) pairs benchmarked, each against its reference.
const RUNS: [(&str, &str); 3] = [("magnitude", "layer"), ("wanda", "row"), ("sparsegpt", "column-block")];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 || args[0] == "--help" {
        eprintln!("usage: sparse_compare OUT_DIR THREADS REPEATS");
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[0]);
    let threads: i32 = args[1].parse()?;
    let repeats: usize = args[2].parse()?;
    std::fs::create_dir_all(&out)?;
    tch::set_num_threads(threads);
    tch::manual_seed(0);

    let mut inputs: Vec<(String, Tensor)> = Vec::new();
    let mut results: Vec<(String, Tensor)> = Vec::new();
    let mut timings = Vec::new();
    for [rows, cols] in SHAPES {
        let tag = format!("{rows}x{cols}");
        let (w, stats) = synthetic_layer(rows, cols);
        inputs.push((format!("{tag}.weight"), w.copy()));
        inputs.push((format!("{tag}.hessian"), stats.hessian()?.copy()));
        for (name, group) in RUNS {
            let m = method(name)?;
            let spec = SparsitySpec::parse("0.5", "unstructured", group)?;
            let mut best = f64::INFINITY;
            let mut last = None;
            for _ in 0..=repeats {
                let start = Instant::now();
                let pruned = m.prune(&w, &stats, &spec)?;
                best = best.min(start.elapsed().as_secs_f64());
                last = Some(pruned);
            }
            let pruned = last.ok_or("no run")?;
            eprintln!("{tag:>10} {name:<10} {:>9.1} ms", best * 1e3);
            results.push((format!("{tag}.{name}.mask"), pruned.mask.to_kind(Kind::Uint8)));
            results.push((format!("{tag}.{name}.weight"), pruned.weight));
            timings.push(format!("\"{tag}.{name}\": {best}"));
        }
    }
    Tensor::write_safetensors(&inputs, out.join("inputs.safetensors"))?;
    Tensor::write_safetensors(&results, out.join("ours.safetensors"))?;
    let json = format!("{{\"threads\": {threads}, \"tokens\": {TOKENS}, \"seconds\": {{{}}}}}\n", timings.join(", "));
    std::fs::write(out.join("ours.json"), json)?;
    Ok(())
}

/// A weight and the statistics of correlated inputs with spread-out feature scales.
fn synthetic_layer(rows: i64, cols: i64) -> (Tensor, LayerStats) {
    let opts = (Kind::Float, Device::Cpu);
    let mixing = Tensor::randn([cols, cols], opts) / (cols as f64).sqrt() + Tensor::eye(cols, opts);
    let scales = (Tensor::randn([cols], opts) * 1.2).exp();
    let x = Tensor::randn([TOKENS, cols], opts).matmul(&mixing) * scales.unsqueeze(0);
    let needs = secateurs_sparse::Needs { hessian: true, input_sq_norm: true };
    let mut stats = LayerStats::new(cols, needs, Device::Cpu);
    for start in (0..TOKENS).step_by(512) {
        stats.add_batch(&x.narrow(0, start, 512)).expect("width matches");
    }
    (Tensor::randn([rows, cols], opts), stats)
}
