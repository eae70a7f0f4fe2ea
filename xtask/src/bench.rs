//! `cargo xtask bench sparse`: our pruners against the PyTorch reference algorithms,
//! measured side by side in one run on the same layers and the same libtorch, with
//! the same number of threads; prints a markdown table (ratios, mask agreement,
//! output-error agreement) and leaves it in `target/bench-sparse/table.md`.

use std::path::Path;

use anyhow::{Result, bail};

use crate::process;
use crate::venv::Venv;

/// Runs the named benchmark suite.
pub fn run(root: &Path, venv: &Venv, suite: &str, repeats: usize) -> Result<()> {
    match suite {
        "sparse" => sparse(root, venv, repeats),
        _ => bail!("unknown benchmark suite '{suite}'; expected: sparse"),
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
