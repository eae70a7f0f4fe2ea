//! The crate's one error type.

/// Errors while evaluating a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or running the model failed.
    #[error(transparent)]
    Model(#[from] secateurs_model::Error),
}
