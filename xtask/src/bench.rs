//! Benchmarks against PyTorch, measured side by side in one run with the same
//! libtorch and the same number of threads:
//! - `cargo xtask bench sparse`: our pruners against the reference algorithms on the
//!   same layers; a markdown table (ratios, mask agreement, output-error agreement)
//!   in `target/bench-sparse/table.md`.
//! - `cargo xtask bench prune`: the whole SparseGPT + BR+GP run on SmolLM2 with the
//!   recon acceptance protocol, `secateurs prune` against a PyTorch implementation of
//!   the same algorithm on the same windows; wall time and peak RSS of both, and
//!   their final-block errors, in `target/bench-prune/table.md`.
//! - `cargo xtask bench generate`: `secateurs generate-calib` against transformers'
//!   `generate` with the same batch and sampling settings on SmolLM2: sampled tokens
//!   per second of both, in `target/bench-generate/table.md`.

use std::path::Path;

use anyhow::{Result, bail};

use crate::process;
use crate::venv::Venv;

/// Runs the named benchmark suite.
pub fn run(root: &Path, venv: &Venv, suite: &str, repeats: usize) -> Result<()> {
    match suite {
        "sparse" => sparse(root, venv, repeats),
        "prune" => prune(root, venv),
        "generate" => generate(root, venv),
        _ => bail!("unknown benchmark suite '{suite}'; expected one of: sparse, prune, generate"),
    }
}

fn sparse(root: &Path, venv: &Venv, repeats: usize) -> Result<()> {
    let out = root.join("target").join("bench-sparse");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (threads, repeats) = (threads.to_string(), repeats.to_string());
    eprintln!("xtask: running our pruners ({threads} threads)");
    let code = process::cargo(
        root,
        &[
            "run",
            "--quiet",
            "--package",
            "secateurs-benches",
            "--bin",
            "sparse_compare",
            "--",
            &out.to_string_lossy(),
            &threads,
            &repeats,
        ],
    )?;
    if code != std::process::ExitCode::SUCCESS {
        bail!("sparse_compare failed");
    }
    eprintln!("xtask: running the PyTorch references");
    process::run(venv.script(root, "bench_sparse_reference.py").arg(&out).arg(&repeats))
}

/// The recon acceptance protocol (issue 5), SparseGPT + BR+GP.
const PROTOCOL: [(&str, &str); 5] = [("nsamples", "16"), ("heldout-nsamples", "8"), ("seqlen", "256"), ("epochs", "5"), ("batch-size", "4")];

fn prune(root: &Path, venv: &Venv) -> Result<()> {
    let out = root.join("target").join("bench-prune");
    std::fs::create_dir_all(&out)?;
    let model = root.join("assets/models/smollm2-135m");
    let (calib, heldout) = (root.join("assets/corpora/brown.txt"), root.join("assets/corpora/enwiki.txt"));
    let secateurs = process::secateurs(root)?;
    // Ours twice: with the per-epoch learning curve (the default) and with errors
    // measured only at the end, which is all the PyTorch implementation computes.
    for (name, errors_at) in [("ours", "every-epoch"), ("ours-errors-at-end", "end")] {
        eprintln!("xtask: secateurs prune (SparseGPT, BR+GP, errors {errors_at})");
        let mut ours = secateurs();
        ours.args(["prune", "--method", "sparsegpt", "--sparsity", "0.5", "--recon", "br", "--gp", "--seed", "0", "--errors-at", errors_at])
            .arg("--model").arg(&model).arg("--calib").arg(&calib).arg("--heldout").arg(&heldout).arg("--out").arg(out.join(name));
        for (flag, value) in PROTOCOL {
            ours.arg(format!("--{flag}")).arg(value);
        }
        process::run(&mut ours)?;
    }
    eprintln!("xtask: the PyTorch implementation");
    let reference = out.join("reference.json");
    let value = |flag: &str| PROTOCOL.iter().find(|(f, _)| *f == flag).map_or("", |(_, v)| v);
    let mut python = venv.script(root, "bench_prune_reference.py");
    python.arg(&model).arg(&calib).arg(&heldout);
    for flag in ["nsamples", "heldout-nsamples", "seqlen", "epochs", "batch-size"] {
        python.arg(value(flag));
    }
    process::run(python.arg(&reference))?;

    let read = |path: &Path| -> Result<serde_json::Value> { Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?) };
    let (ours, lean, reference) = (read(&out.join("ours/run.json"))?, read(&out.join("ours-errors-at-end/run.json"))?, read(&reference)?);
    if ours["fingerprints"]["calib"] != reference["calib_fingerprint"] {
        bail!("the reference sampled other calibration windows ({} vs {})", reference["calib_fingerprint"], ours["fingerprints"]["calib"]);
    }
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let (ours_s, lean_s, ref_s) = (f(&ours["seconds"]["total"]), f(&lean["seconds"]["total"]), f(&reference["seconds"]));
    let (ours_rss, ref_rss) = (f(&ours["memory"]["peak_rss_bytes"]) / 1e9, f(&reference["peak_rss_bytes"]) / 1e9);
    let last = |blocks: &serde_json::Value, key: &str| blocks.as_array().and_then(|b| b.last()).map_or(f64::NAN, |b| f(&b[key]));
    let ours_blocks: Vec<serde_json::Value> = ours["blocks"].as_array().map(|b| b.iter().map(|b| b["error"].clone()).collect()).unwrap_or_default();
    let ours_last = serde_json::Value::Array(ours_blocks);
    let table = format!(
        "| | secateurs | PyTorch | ratio |\n|---|---:|---:|---:|\n\
         | wall time (s), learning curve every epoch | {ours_s:.1} | {ref_s:.1} | {:.2} |\n\
         | wall time (s), errors at the end only | {lean_s:.1} | {ref_s:.1} | {:.2} |\n\
         | peak RSS (GB) | {ours_rss:.2} | {ref_rss:.2} | {:.2} |\n\
         | final-block error, calibration | {:.2} | {:.2} | {:.3} |\n\
         | final-block error, held-out | {:.2} | {:.2} | {:.3} |\n",
        ours_s / ref_s,
        lean_s / ref_s,
        ours_rss / ref_rss,
        last(&ours_last, "calib"),
        last(&reference["blocks"], "calib"),
        last(&ours_last, "calib") / last(&reference["blocks"], "calib"),
        last(&ours_last, "heldout"),
        last(&reference["blocks"], "heldout"),
        last(&ours_last, "heldout") / last(&reference["blocks"], "heldout"),
    );
    std::fs::write(out.join("table.md"), &table)?;
    println!("{table}");
    Ok(())
}

/// Texts, maximum length and batch of the generation benchmark.
const GENERATE: (&str, &str, &str) = ("16", "128", "8");

fn generate(root: &Path, venv: &Venv) -> Result<()> {
    let out = root.join("target").join("bench-generate");
    std::fs::create_dir_all(&out)?;
    let model = root.join("assets/models/smollm2-135m");
    let (count, max_len, batch) = GENERATE;
    eprintln!("xtask: secateurs generate-calib ({count} texts, max {max_len} tokens, batch {batch})");
    let ours = process::secateurs(root)?()
        .args(["generate-calib", "--count", count, "--max-len", max_len, "--batch", batch, "--seed", "0"])
        .arg("--model").arg(&model).arg("--out").arg(out.join("generated.jsonl"))
        .output()?;
    let stderr = String::from_utf8_lossy(&ours.stderr);
    if !ours.status.success() {
        bail!("generate-calib failed: {stderr}");
    }
    let stats: serde_json::Value = stderr.lines().rev().find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).map(|v| v["stats"].clone()).unwrap_or_default();
    eprintln!("xtask: transformers generate");
    let reference = out.join("reference.json");
    process::run(venv.script(root, "bench_generate_reference.py").arg(&model).arg(count).arg(max_len).arg(batch).arg(&reference))?;
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&reference)?)?;
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let ours_rate = f(&stats["sampled_tokens"]) / f(&stats["sampling_seconds"]);
    let theirs_rate = f(&reference["tokens_per_second"]);
    let table = format!(
        "| | secateurs | transformers | ratio |\n|---|---:|---:|---:|\n\
         | sampled tokens/s (batch {batch}, max {max_len}) | {ours_rate:.1} | {theirs_rate:.1} | {:.2} |\n\
         | sampled tokens | {} | {} | |\n",
        ours_rate / theirs_rate,
        stats["sampled_tokens"],
        reference["sampled_tokens"],
    );
    std::fs::write(out.join("table.md"), &table)?;
    println!("{table}");
    Ok(())
}
