//! The crate's one error type.

/// Errors from sparsity patterns and pruners.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A weight that must be a matrix `[out, in]` is not.
    #[error("expected a 2-D weight [out, in], got shape {shape:?}")]
    NotAMatrix {
        /// The shape received.
        shape: Vec<i64>,
    },
    /// N:M groups do not tile the input dimension.
    #[error("in_features {in_features} is not a multiple of M = {m}; N:M needs whole groups")]
    IndivisibleGroups {
        /// Columns of the weight.
        in_features: i64,
        /// Group size.
        m: i64,
    },
}
