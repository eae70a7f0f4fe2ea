//! The per-user cache that keeps the venv, the downloads and the converted assets
//! across clones, keyed by what they were made from.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The cache folder, e.g. `~/.cache/secateurs`.
pub struct Cache {
    /// Root folder.
    pub root: PathBuf,
}

impl Cache {
    /// `$SECATEURS_CACHE`, else `$XDG_CACHE_HOME/secateurs`, else `~/.cache/secateurs`.
    pub fn locate() -> Result<Self> {
        let env = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = if let Some(dir) = env("SECATEURS_CACHE") {
            dir
        } else if let Some(dir) = env("XDG_CACHE_HOME") {
            dir.join("secateurs")
        } else if let Some(home) = env("HOME") {
            home.join(".cache").join("secateurs")
        } else {
            bail!("cannot place the cache: set SECATEURS_CACHE or HOME");
        };
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create cache folder {}", root.display()))?;
        Ok(Self { root })
    }

    /// A path inside the cache.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

/// Points `link` (inside the checkout) at `target`, replacing an older link.
pub fn link_into_checkout(target: &Path, link: &Path) -> Result<()> {
    if let Ok(current) = std::fs::read_link(link) {
        if current == target {
            return Ok(());
        }
        std::fs::remove_file(link).with_context(|| format!("cannot replace {}", link.display()))?;
    } else if link.exists() {
        bail!("{} exists and is not a link; move it away so setup can link the cache", link.display());
    }
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("cannot link {} -> {}", link.display(), target.display()))
}
