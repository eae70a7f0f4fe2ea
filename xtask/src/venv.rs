//! `cargo xtask setup`: the Python venv holding torch (our libtorch) and the tools
//! that convert assets and make fixtures.
//!
//! The venv lives in the cache as `venv-<key>`, the key being a hash of
//! `xtask/requirements.txt`, so clones share it and a change of pins builds a new
//! one. A marker file is written only after the install and its check pass; a venv
//! without it, or whose packages no longer match the pins, is rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cache::{Cache, link_into_checkout};
use crate::fsutil::{remove_any, sha256_bytes};
use crate::process;

const MARKER: &str = "secateurs-venv-complete";

/// A checked venv.
pub struct Venv {
    /// The venv's Python interpreter.
    pub python: PathBuf,
    /// The key it was built for (a hash of the requirements).
    pub key: String,
}

impl Venv {
    /// Runs one of the committed scripts in `xtask/py/` with this venv's Python.
    pub fn script(&self, root: &Path, name: &str) -> Command {
        let mut command = Command::new(&self.python);
        command.arg(root.join("xtask").join("py").join(name));
        command
    }
}

/// Makes sure the cached venv exists and is complete, then links it into the checkout
/// as `.venv`, and its torch package as `.libtorch` (read by `.cargo/config.toml`).
pub fn ensure(cache: &Cache, root: &Path) -> Result<Venv> {
    let requirements_path = root.join("xtask").join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path)
        .with_context(|| format!("cannot read {}", requirements_path.display()))?;
    let key = sha256_bytes(requirements.as_bytes())[..12].to_owned();
    let dir = cache.path(&format!("venv-{key}"));
    let venv = Venv { python: dir.join("bin").join("python"), key };

    let torch = match check(&dir, &venv, root) {
        Ok(torch) => torch,
        Err(reason) => {
            if dir.exists() {
                eprintln!("xtask: cached venv {} is unusable ({reason:#}); rebuilding", dir.display());
            }
            build(&dir, &requirements_path)?;
            let torch = check_packages(&venv, root).context("the freshly built venv fails its check")?;
            std::fs::write(dir.join(MARKER), &venv.key).context("cannot write the venv marker")?;
            torch
        }
    };
    link_into_checkout(&dir, &root.join(".venv"))?;
    link_into_checkout(&torch, &root.join(".libtorch"))?;
    eprintln!("xtask: venv ready: {} (libtorch at {})", dir.display(), torch.display());
    Ok(venv)
}

/// Checks a finished venv (its completion marker, then its packages); returns its
/// torch package folder.
fn check(dir: &Path, venv: &Venv, root: &Path) -> Result<PathBuf> {
    if !dir.join(MARKER).is_file() {
        bail!("no completion marker");
    }
    check_packages(venv, root)
}

/// Checks a venv's packages against the pins; returns its torch package folder.
fn check_packages(venv: &Venv, root: &Path) -> Result<PathBuf> {
    let requirements = root.join("xtask").join("requirements.txt");
    let torch = process::output(venv.script(root, "check_venv.py").arg(&requirements))?;
    let torch = PathBuf::from(torch.trim());
    for needed in ["lib/libtorch_cpu.so", "lib/libtorch.so", "include/torch"] {
        if !torch.join(needed).exists() {
            bail!("torch package lacks {needed}");
        }
    }
    Ok(torch)
}

/// Creates the venv from scratch and installs the pinned requirements.
fn build(dir: &Path, requirements: &Path) -> Result<()> {
    let python = std::env::var_os("SECATEURS_PYTHON").unwrap_or_else(|| "python3".into());
    let version = process::output(
        Command::new(&python).args(["-c", "import sys; print(*sys.version_info[:2])"]),
    )
    .context("Python 3.10+ with the venv module is required (set SECATEURS_PYTHON to choose one)")?;
    let parts: Vec<u32> = version.split_whitespace().filter_map(|p| p.parse().ok()).collect();
    if parts.as_slice() < [3, 10].as_slice() {
        bail!("Python {version:?} found, 3.10 or newer needed (set SECATEURS_PYTHON)");
    }
    remove_any(dir)?;
    eprintln!("xtask: creating venv {} (torch is a few GB; this takes minutes once)", dir.display());
    process::run(Command::new(&python).args(["-m", "venv"]).arg(dir))?;
    let venv_python = dir.join("bin").join("python");
    process::run(
        Command::new(&venv_python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--requirement"])
            .arg(requirements),
    )
    .context("pip could not install the pinned packages from PyPI")
}
