//! The crate's one error type; every variant names the file or tensor at fault.

use std::path::PathBuf;

/// Errors from reading checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file (config, index, safetensors header) did not parse.
    #[error("malformed {path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A checkpoint directory lacks a required file.
    #[error("checkpoint {dir} has no {wanted}")]
    MissingFile {
        /// The checkpoint directory.
        dir: PathBuf,
        /// What was looked for.
        wanted: String,
    },
    /// An architecture or setting this crate does not implement.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// A tensor the architecture needs is missing or has the wrong shape.
    #[error("tensor '{name}': {message}")]
    Tensor {
        /// The tensor's checkpoint name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A libtorch operation failed.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// The tokenizer file could not be loaded.
    #[error("cannot load tokenizer {path}: {message}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// The tokenizers crate's message.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    pub(crate) fn malformed(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        Self::Malformed { path: path.into(), message: message.to_string() }
    }
}
