//! `cargo xtask demo`: the README's main command — prune the embedded SmolLM2 with
//! Wanda + BR+GP at 50% on a small calibration set (16 × 256 tokens of the Brown
//! corpus, 5 epochs), measure dense and pruned perplexity on the first 8 windows of
//! 512 tokens of the Wikipedia slice, verify the checkpoint against its
//! sparsity.json, and print a summary with the report's path. Minutes on 2 CPU cores.

use std::path::Path;

use anyhow::{Context, Result};

use crate::process;
use crate::scores::read_eval;

/// Runs the demo; the pruned checkpoint, its records and report land in `target/demo/`.
pub fn run(root: &Path) -> Result<()> {
    let command = process::secateurs(root)?;
    let secateurs = |args: &[&str]| process::run(command().args(args));
    let model = "assets/models/smollm2-135m";
    let out = "target/demo/smollm2-wanda-br-gp";
    secateurs(&[
        "prune", "--model", model, "--method", "wanda", "--sparsity", "0.5", "--recon", "br+gp",
        "--calib", "assets/corpora/brown.txt", "--nsamples", "16", "--seqlen", "256", "--batch-size", "4", "--epochs", "5",
        "--heldout", "assets/corpora/enwiki.txt", "--heldout-nsamples", "8", "--out", out,
    ])?;
    let text = "assets/corpora/enwiki.txt";
    let mut perplexity = Vec::new();
    for (label, dir) in [("dense", model), ("pruned", out)] {
        eprintln!("xtask: perplexity of the {label} model");
        let results = root.join(format!("target/demo/{label}.eval.json"));
        let results_arg = results.display().to_string();
        secateurs(&["eval", "--model", dir, "--ppl", text, "--windows", "8", "--seqlen", "512", "--out", &results_arg])?;
        perplexity.push(read_eval(&results, &[text.to_owned()])?.perplexity[0].1);
    }
    eprintln!("xtask: verifying {out} against its sparsity.json");
    let verified = command().args(["verify", out]).output().context("cannot run secateurs verify")?;
    let verify_stdout = String::from_utf8_lossy(&verified.stdout);
    let total = verify_stdout.lines().find(|l| l.starts_with("total sparsity")).unwrap_or("").to_owned();
    let verdict = if verified.status.success() { format!("ok — every linear matches sparsity.json; {total}") } else { format!("FAILED:\n{}", String::from_utf8_lossy(&verified.stderr)) };
    println!("\nsecateurs demo: SmolLM2-135M, Wanda 50% unstructured + BR+GP (16 x 256 calibration tokens, 5 epochs)");
    println!("  perplexity (enwiki, 8 x 512)  dense {:.2} -> pruned {:.2}", perplexity[0], perplexity[1]);
    println!("  verify                        {verdict}");
    println!("  report                        {out}/report.md");
    if !verified.status.success() {
        anyhow::bail!("the pruned checkpoint does not match its sparsity.json");
    }
    Ok(())
}
