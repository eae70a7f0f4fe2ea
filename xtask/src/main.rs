//! `cargo xtask` — developer and reproduction tasks for secateurs.
//!
//! A plain binary behind the `xtask` alias in `.cargo/config.toml`. It never links
//! libtorch, so it builds in seconds on a fresh machine and can set libtorch up.
//!
//! - `setup`: the Python venv with torch (libtorch) and the conversion tools, in the
//!   per-user cache, linked into the checkout (`.venv`, `.libtorch`).
//! - `fetch [--verify]`: the real assets (model, corpora, analogy questions), pinned
//!   by sha256, converted once in the cache and linked as `assets/`.
//! - `test [ARGS]`: setup, fetch, then `cargo test --workspace [ARGS]`.
//! - `demo`: setup, fetch, then prune the embedded model (Wanda + BR+GP) and compare
//!   dense and pruned perplexity.
//! - `reproduce [--quick]`: the paper's grid on the embedded model; tables and
//!   figures under `docs/results/` (`--quick`: a tiny protocol under `target/`).
//! - `fixtures`: regenerate the parity fixtures with transformers.
//! - `bench sparse|prune|generate`: ours against PyTorch / transformers, side by side.

mod assets;
mod bench;
mod cache;
mod demo;
mod fsutil;
mod packages;
mod process;
mod reproduce;
mod scores;
#[cfg(test)]
mod tidy;
mod venv;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup            create or check the cached Python venv with torch 2.11.0, link it here
  fetch [--verify] download, verify and convert the real assets into assets/
                   (--verify re-hashes every asset file against the manifest)
  test [ARGS...]   setup + fetch + `cargo test --workspace ARGS...`
  demo             setup + fetch + prune the embedded model (Wanda, BR+GP) and compare perplexity
  reproduce [--quick] [--keep-checkpoints] [--model DIR] [--calib SRC...] [--heldout SRC] [--eval SRC...] [--out DIR]
                   the paper's grid (magnitude/Wanda/SparseGPT x LR/BR/BR+GP/BR+GP+CR, self-generated
                   data for SparseGPT): runs under target/reproduce, tables in docs/results/;
                   each cell's weights are removed once evaluated unless --keep-checkpoints
  fixtures         regenerate fixtures/parity with transformers (fixtures/gen_parity.py)
  bench sparse [--repeats N] | bench prune | bench generate
                   ours vs PyTorch / transformers, side by side (pruners, a whole prune, generation)

environment:
  SECATEURS_CACHE  cache folder (default: $XDG_CACHE_HOME/secateurs or ~/.cache/secateurs)
  SECATEURS_PYTHON Python 3.10+ used to create the venv (default: python3)";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let root = workspace_root()?;
    let cache = cache::Cache::locate()?;
    match (command.as_str(), rest) {
        ("setup", []) => {
            venv::ensure(&cache, &root)?;
        }
        ("fetch", flags) => {
            let verify = match flags {
                [] => false,
                [flag] if flag == "--verify" => true,
                _ => bail!("fetch takes only --verify, got {flags:?}"),
            };
            let venv = venv::ensure(&cache, &root)?;
            assets::ensure(&cache, &root, &venv, verify)?;
        }
        ("test", cargo_args) => {
            let venv = venv::ensure(&cache, &root)?;
            assets::ensure(&cache, &root, &venv, false)?;
            let mut args = vec!["test", "--workspace"];
            args.extend(cargo_args.iter().map(String::as_str));
            return process::cargo(&root, &args);
        }
        ("demo", []) => {
            let venv = venv::ensure(&cache, &root)?;
            assets::ensure(&cache, &root, &venv, false)?;
            demo::run(&root)?;
        }
        ("reproduce", flags) => {
            let options = reproduce::Options::parse(flags)?;
            let venv = venv::ensure(&cache, &root)?;
            assets::ensure(&cache, &root, &venv, false)?;
            reproduce::run(&root, &options)?;
        }
        ("fixtures", []) => {
            let venv = venv::ensure(&cache, &root)?;
            process::run(std::process::Command::new(&venv.python).arg(root.join("fixtures").join("gen_parity.py")))?;
        }
        ("bench", [suite, flags @ ..]) => {
            let repeats = match flags {
                [] => 1,
                [flag, n] if flag == "--repeats" => n.parse().context("--repeats takes a count")?,
                _ => bail!("bench takes a suite and optionally --repeats N, got {flags:?}"),
            };
            let venv = venv::ensure(&cache, &root)?;
            bench::run(&root, &venv, suite, repeats)?;
        }
        ("help" | "--help" | "-h", _) => println!("{USAGE}"),
        _ => {
            eprintln!("unknown command or arguments: {}\n\n{USAGE}", args.join(" "));
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The workspace root: the parent of this crate's manifest folder.
fn workspace_root() -> Result<std::path::PathBuf> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(ToOwned::to_owned).context("xtask has no parent folder")
}
