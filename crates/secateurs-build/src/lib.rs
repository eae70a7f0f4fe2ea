//! Build-script helper: makes every executable of a crate (binaries, tests, benches,
//! examples) load libtorch — CUDA part included — without `LD_LIBRARY_PATH`.
//!
//! `torch-sys` links `libtorch_cpu` and `libc10` but not `libtorch`, and the linker
//! drops libraries nobody references, so `libtorch_cuda` never gets loaded and
//! `tch::Cuda::is_available()` is always false. This crate adds
//! `-Wl,--no-as-needed -ltorch -Wl,--as-needed` and an rpath to libtorch's `lib/`
//! folder. A crate uses it from its `build.rs`:
//!
//! ```no_run
//! // build.rs
//! secateurs_build::link_libtorch();
//! ```
//!
//! The library folder comes from `LIBTORCH` (set by `.cargo/config.toml` to the
//! `.libtorch` link that `cargo xtask setup` makes). The rpath is the resolved path,
//! so binaries keep working when the checkout moves; on a machine with its own
//! PyTorch, `LD_LIBRARY_PATH` still takes precedence over the rpath (RUNPATH).

use std::path::{Path, PathBuf};

/// Emits the cargo instructions that link `libtorch` with an rpath. Warns (rather than
/// fails) when `LIBTORCH` is unset: `torch-sys` then reports the real problem itself.
pub fn link_libtorch() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let Some(libtorch) = std::env::var_os("LIBTORCH") else {
        println!("cargo:warning=LIBTORCH is not set; run `cargo xtask setup`");
        return;
    };
    for instruction in link_instructions(&lib_dir(Path::new(&libtorch))) {
        println!("{instruction}");
    }
}

/// Emits `SECATEURS_GIT_COMMIT` (the checkout's `git rev-parse HEAD`, with `-dirty`
/// when tracked files differ, or `unknown` outside a git checkout) for run records.
pub fn record_git_commit() {
    let git = |args: &[&str]| {
        std::process::Command::new("git").args(args).output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
    }
    println!("cargo:rustc-env=SECATEURS_GIT_COMMIT={commit}{}", if dirty { "-dirty" } else { "" });
}

/// The resolved `lib/` folder of a libtorch installation (symlinks followed).
pub fn lib_dir(libtorch: &Path) -> PathBuf {
    let lib = libtorch.join("lib");
    lib.canonicalize().unwrap_or(lib)
}

/// The cargo instructions for one libtorch `lib/` folder: an rpath, and `libtorch`
/// linked even though no symbol of it is referenced (that is what pulls in CUDA).
pub fn link_instructions(lib_dir: &Path) -> Vec<String> {
    let lib = lib_dir.display();
    vec![
        format!("cargo:rustc-link-search=native={lib}"),
        format!("cargo:rustc-link-arg=-Wl,-rpath,{lib}"),
        "cargo:rustc-link-arg=-Wl,--no-as-needed".to_owned(),
        "cargo:rustc-link-arg=-ltorch".to_owned(),
        "cargo:rustc-link-arg=-Wl,--as-needed".to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_libtorch_with_rpath_outside_as_needed() {
        let lines = link_instructions(Path::new("/opt/torch/lib"));
        assert_eq!(lines[1], "cargo:rustc-link-arg=-Wl,-rpath,/opt/torch/lib");
        let no_as_needed = lines.iter().position(|l| l.ends_with("--no-as-needed"));
        let ltorch = lines.iter().position(|l| l.ends_with("-ltorch"));
        let as_needed = lines.iter().position(|l| l.ends_with("-Wl,--as-needed"));
        assert!(no_as_needed < ltorch && ltorch < as_needed, "{lines:?}");
    }

    #[test]
    fn lib_dir_resolves_symlinks() {
        let root = tempfile::tempdir().expect("temp dir");
        let real = root.path().join("real");
        std::fs::create_dir_all(real.join("lib")).expect("create temp dir");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let resolved = lib_dir(&link);
        assert_eq!(resolved, real.join("lib").canonicalize().expect("canonicalize"));
    }
}
