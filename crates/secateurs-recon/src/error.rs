//! The crate's one error type.

use std::path::{Path, PathBuf};

/// Errors from reconstruction configuration and the driver.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An unknown technique name.
    #[error("unknown reconstruction '{given}'; expected one of: {}", allowed.join(", "))]
    UnknownTechnique {
        /// The name given.
        given: String,
        /// The names accepted.
        allowed: Vec<&'static str>,
    },
    /// A configuration value out of range, or inputs that do not fit together.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a scratch file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading the model failed.
    #[error(transparent)]
    Model(#[from] secateurs_model::Error),
    /// Pruning a linear failed.
    #[error("block {block} {linear}: {source}")]
    Prune {
        /// Block index.
        block: usize,
        /// Linear name within the block.
        linear: String,
        /// The pruner's error.
        source: secateurs_sparse::Error,
    },
    /// Training diverged.
    #[error("reconstruction of blocks {blocks:?} diverged: the loss became {loss} at step {step}")]
    Diverged {
        /// The window's blocks.
        blocks: std::ops::Range<usize>,
        /// Optimiser step (1-based).
        step: usize,
        /// The non-finite loss.
        loss: f64,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }
}
