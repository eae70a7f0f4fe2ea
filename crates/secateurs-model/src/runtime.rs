//! Which libtorch this process runs on: its version and folder, read from the
//! library actually mapped into memory (not the one the binary was built against,
//! since `LD_LIBRARY_PATH` can swap it), and whether CUDA is usable.

use std::path::{Path, PathBuf};

/// The libtorch loaded into this process.
#[derive(Debug, Clone)]
pub struct Libtorch {
    /// Version string, e.g. `2.11.0+cu130`; `unknown` when no version file is found.
    pub version: String,
    /// The `lib/` folder `libtorch_cpu.so` was loaded from.
    pub lib_dir: Option<PathBuf>,
    /// Whether `libtorch_cuda` is loaded (the binary was linked with `--no-as-needed`).
    pub cuda_linked: bool,
    /// Whether a CUDA device can be used.
    pub cuda_available: bool,
    /// Number of CUDA devices visible.
    pub cuda_devices: usize,
}

impl Libtorch {
    /// Inspects the running process.
    pub fn detect() -> Self {
        // Touch libtorch first so lazily loaded parts are mapped before we look.
        let cuda_available = tch::Cuda::is_available();
        let cuda_devices = if cuda_available { tch::Cuda::device_count().max(0) as usize } else { 0 };
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let lib_dir = mapped_library(&maps, "libtorch_cpu.so")
            .and_then(|lib| lib.parent().map(Path::to_path_buf));
        let version = lib_dir.as_deref().and_then(version_beside).unwrap_or_else(|| "unknown".into());
        let cuda_linked = mapped_library(&maps, "libtorch_cuda.so").is_some();
        Self { version, lib_dir, cuda_linked, cuda_available, cuda_devices }
    }

    /// One line for `--version` output.
    pub fn summary(&self) -> String {
        let cuda = match (self.cuda_available, self.cuda_linked) {
            (true, _) => format!("available ({} device(s))", self.cuda_devices),
            (false, true) => "not available (CUDA libraries linked, no device)".to_owned(),
            (false, false) => "not available (libtorch_cuda not linked)".to_owned(),
        };
        let dir = self.lib_dir.as_ref().map_or("?".into(), |d| d.display().to_string());
        format!("libtorch {} ({dir}); CUDA {cuda}", self.version)
    }
}

/// The path of a shared library mapped into the process, from `/proc/self/maps` text.
fn mapped_library(maps: &str, file_name: &str) -> Option<PathBuf> {
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(Path::new)
        .find(|path| path.file_name().is_some_and(|name| name == file_name))
        .map(Path::to_path_buf)
}

/// The version of the libtorch whose `lib/` folder this is: the `build-version` file
/// of a standalone libtorch, or `version.py` of a PyTorch wheel.
fn version_beside(lib_dir: &Path) -> Option<String> {
    let root = lib_dir.parent()?;
    if let Ok(text) = std::fs::read_to_string(root.join("build-version")) {
        return Some(text.trim().to_owned());
    }
    let text = std::fs::read_to_string(root.join("version.py")).ok()?;
    parse_version_py(&text)
}

/// Extracts `__version__ = '2.11.0+cu130'` from a wheel's `version.py`.
fn parse_version_py(text: &str) -> Option<String> {
    let line = text.lines().find(|line| line.trim_start().starts_with("__version__"))?;
    let value = line.split_once('=')?.1.trim();
    Some(value.trim_matches(|c| c == '\'' || c == '"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mapped_library_by_file_name() {
        let maps = "7f00-7f01 r-xp 00000000 fd:00 1 /opt/torch/lib/libtorch_cpu.so\n\
                    7f02-7f03 r-xp 00000000 fd:00 2 /opt/torch/lib/libc10.so\n\
                    7f04-7f05 rw-p 00000000 00:00 0 [heap]";
        assert_eq!(mapped_library(maps, "libc10.so"), Some(PathBuf::from("/opt/torch/lib/libc10.so")));
        assert_eq!(mapped_library(maps, "libtorch_cuda.so"), None);
    }

    #[test]
    fn parses_wheel_version_file() {
        let text = "from typing import Optional\n__version__ = '2.11.0+cu130'\ndebug = False\n";
        assert_eq!(parse_version_py(text).as_deref(), Some("2.11.0+cu130"));
    }

    #[test]
    fn detects_the_running_libtorch() {
        let torch = Libtorch::detect();
        assert!(torch.version.starts_with("2.11.0"), "{}", torch.summary());
        assert!(torch.cuda_linked, "libtorch_cuda must be linked: {}", torch.summary());
    }
}
