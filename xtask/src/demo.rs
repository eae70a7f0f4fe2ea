//! `cargo xtask demo`: the README's main command — prune the embedded SmolLM2 with
//! Wanda + BR+GP at 50% on a small calibration set (16 × 256 tokens of the Brown
//! corpus, 5 epochs), then measure dense and pruned perplexity on the first 8
//! windows of 512 tokens of the Wikipedia slice. Runs in minutes on 2 CPU cores.

use std::path::Path;

use anyhow::Result;

use crate::process;

/// Runs the demo; the pruned checkpoint and its records land in `target/demo/`.
pub fn run(root: &Path) -> Result<()> {
    let command = process::secateurs(root)?;
    let secateurs = |args: &[&str]| process::run(command().args(args));
    let model = "assets/models/smollm2-135m";
    let out = "target/demo/smollm2-wanda-br-gp";
    secateurs(&[
        "prune", "--model", model, "--method", "wanda", "--sparsity", "0.5", "--recon", "br", "--gp",
        "--calib", "assets/corpora/brown.txt", "--nsamples", "16", "--seqlen", "256", "--batch-size", "4", "--epochs", "5",
        "--heldout", "assets/corpora/enwiki.txt", "--heldout-nsamples", "8", "--out", out,
    ])?;
    for (label, dir) in [("dense", model), ("pruned", out)] {
        eprintln!("xtask: perplexity of the {label} model");
        secateurs(&["eval", "--model", dir, "--ppl", "assets/corpora/enwiki.txt", "--windows", "8", "--seqlen", "512"])?;
    }
    eprintln!("xtask: the pruned checkpoint, sparsity.json and run.json are in {out}");
    Ok(())
}
