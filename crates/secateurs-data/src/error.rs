//! The crate's one error type.

/// Errors from text sources and window sampling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A source holds too few tokens for the windows asked of it.
    #[error("source '{source_name}' has {available} tokens; {count} windows of {seqlen} need {needed}")]
    TooShort {
        /// The source's stable name.
        source_name: String,
        /// Tokens available.
        available: usize,
        /// Windows asked for.
        count: usize,
        /// Tokens per window.
        seqlen: usize,
        /// Tokens needed.
        needed: usize,
    },
    /// Sampling needs a document longer than the window.
    #[error("source '{source_name}' has no document longer than {seqlen} tokens (longest: {longest})")]
    NoLongDocument {
        /// The source's stable name.
        source_name: String,
        /// Tokens per window.
        seqlen: usize,
        /// The longest document's tokens.
        longest: usize,
    },
    /// Cropping needs one long document per window.
    #[error("source '{source_name}' has {long} documents longer than {seqlen} tokens; {count} windows need one each")]
    TooFewLongDocuments {
        /// The source's stable name.
        source_name: String,
        /// Tokens per window.
        seqlen: usize,
        /// Windows asked for.
        count: usize,
        /// Documents long enough.
        long: usize,
    },
    /// A text source could not be read.
    #[error("cannot read text source {path}: {message}")]
    Read {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A hub file is neither cached nor downloadable.
    #[error("hub unreachable: cannot get {file} from dataset {repo} ({message}); download it and pass its local path")]
    HubUnreachable {
        /// `owner/name`.
        repo: String,
        /// Path in the repository.
        file: String,
        /// The client's message.
        message: String,
    },
    /// Running the model failed (self-generated data).
    #[error(transparent)]
    Model(#[from] secateurs_model::Error),
    /// Self-generation found too few English prefixes.
    #[error("self-generation drew {drawn} random prefixes and only {kept} read as English ({wanted} texts wanted); is this an English model?")]
    NotEnglish {
        /// Prefixes drawn.
        drawn: usize,
        /// English ones.
        kept: usize,
        /// Texts wanted.
        wanted: usize,
    },
    /// A window length of zero.
    #[error("window length must be at least 1, got {0}")]
    ZeroLength(usize),
    /// The tokenizer failed on some text.
    #[error("tokenizer failed on source '{source_name}': {message}")]
    Tokenizer {
        /// The source's stable name.
        source_name: String,
        /// The tokenizers crate's message.
        message: String,
    },
}
