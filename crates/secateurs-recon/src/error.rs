//! The crate's one error type.

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
}
