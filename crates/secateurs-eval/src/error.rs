//! The crate's one error type.

/// Errors while evaluating a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or running the model failed.
    #[error(transparent)]
    Model(#[from] secateurs_model::Error),
    /// Reading a dataset failed.
    #[error(transparent)]
    Data(#[from] secateurs_data::Error),
    /// The tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A task document lacks what its task needs.
    #[error("task {task}, document {index}: {message}")]
    Document {
        /// Task name.
        task: String,
        /// Row index in the dataset file.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// An unknown task, or input that does not fit.
    #[error("{0}")]
    Invalid(String),
}
