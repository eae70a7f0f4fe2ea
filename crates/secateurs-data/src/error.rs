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
