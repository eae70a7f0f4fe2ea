//! File helpers: sha256 of files and text, and folders replaced atomically.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Hex sha256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Hex sha256 of some bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes a file or folder if it exists.
pub fn remove_any(path: &Path) -> Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result.with_context(|| format!("cannot remove {}", path.display()))
}

/// A fresh, empty `<final>.partial` folder to build into before [`commit_dir`].
pub fn fresh_partial(final_dir: &Path) -> Result<std::path::PathBuf> {
    let partial = final_dir.with_extension("partial");
    remove_any(&partial)?;
    std::fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    Ok(partial)
}

/// Renames a finished `.partial` folder to its final name, so a reader sees either
/// nothing or the complete folder.
pub fn commit_dir(partial: &Path, final_dir: &Path) -> Result<()> {
    remove_any(final_dir)?;
    std::fs::rename(partial, final_dir)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), final_dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_text() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn partial_folder_is_committed_whole() {
        let base = tempfile::tempdir().expect("temp dir");
        let final_dir = base.path().join("assets-abc");
        let partial = fresh_partial(&final_dir).expect("partial");
        std::fs::write(partial.join("a.txt"), "a").expect("write");
        assert_eq!(sha256_file(&partial.join("a.txt")).expect("hash"), sha256_bytes(b"a"));
        commit_dir(&partial, &final_dir).expect("commit");
        assert!(final_dir.join("a.txt").is_file() && !partial.exists());
    }
}
