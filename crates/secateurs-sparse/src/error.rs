//! The crate's one error type.

/// Errors from sparsity specs, statistics and pruners.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A sparsity, pattern or group that cannot be used.
    #[error("{0}")]
    InvalidSpec(String),
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
    /// Statistics of the wrong width, or missing what a pruner needs.
    #[error("layer statistics: {0}")]
    Stats(String),
    /// A method or group the registry does not know.
    #[error("{0}")]
    UnknownMethod(String),
    /// SparseGPT's Hessian could not be factorised even with raised damping.
    #[error(
        "SparseGPT: Cholesky factorisation of the damped Hessian failed {attempts} times \
         (damping raised to {last_damping:e} x mean diagonal); the layer's inputs are degenerate \
         (non-finite or far from positive definite)"
    )]
    Factorisation {
        /// Attempts made.
        attempts: usize,
        /// Relative damping of the last attempt.
        last_damping: f64,
    },
    /// A libtorch operation failed.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}
