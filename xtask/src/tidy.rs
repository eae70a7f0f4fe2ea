//! Conventions enforced as tests, so `cargo test` is the whole CI: every Rust source
//! file opens with a `//!` doc comment saying what it is for, and every crate opts
//! into the workspace lints.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "build.rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let root = workspace_root();
    let mut files = Vec::new();
    for top in ["crates", "xtask", "benches"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(files.len() > 10, "found only {files:?}");
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap_or_default().starts_with("//!"))
        .collect();
    assert!(undocumented.is_empty(), "files without a leading //! doc: {undocumented:?}");
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    let root = workspace_root();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.path().join("Cargo.toml"))
        .collect();
    manifests.extend([root.join("xtask/Cargo.toml"), root.join("benches/Cargo.toml")]);
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest).expect("manifest");
        assert!(text.contains("[lints]\nworkspace = true"), "{} lacks `[lints] workspace = true`", manifest.display());
    }
}
