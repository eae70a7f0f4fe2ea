//! Running child processes with the command line in every error.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

/// Runs a command to completion; a failure names the command and its exit status.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command.status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Runs a command and returns its standard output; errors carry its standard error.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command.output().with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed with {}:\n{}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `cargo ARGS` in the workspace and passes its exit code on.
pub fn cargo(root: &Path, args: &[&str]) -> Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot start cargo {}", args.join(" ")))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// Builds the `secateurs` binary (dev profile) and returns its path.
pub fn build_secateurs(root: &Path) -> Result<PathBuf> {
    if cargo(root, &["build", "--quiet", "--package", "secateurs-cli"])? != ExitCode::SUCCESS {
        bail!("building secateurs failed");
    }
    Ok(root.join("target/debug/secateurs"))
}

/// Builds the `secateurs` binary and returns a maker of commands for it, each run
/// from the workspace root.
pub fn secateurs(root: &Path) -> Result<impl Fn() -> Command> {
    let (binary, root) = (build_secateurs(root)?, root.to_owned());
    Ok(move || {
        let mut command = Command::new(&binary);
        command.current_dir(&root);
        command
    })
}
