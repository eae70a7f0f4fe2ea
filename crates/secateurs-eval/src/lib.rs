//! secateurs-eval: scoring models — perplexity under explicit protocols,
//! reconstruction error between dense and pruned models, and zero-shot multiple
//! choice. Dense, pruned and reloaded models are all scored by this same code; it
//! never imports the pruning crates.
//!
//! Principal items so far:
//! - [`NllSum`] and [`next_token_nll`]: the next-token negative log-likelihood of a
//!   batch, summed in f64 so perplexity does not depend on how windows are batched.
//! - [`window_nll`]: a model's summed NLL over independent token windows `[n, T]`
//!   (perplexity = `exp` of its mean).
//! - [`SquaredError`]: the reconstruction-error metric, Σ(a − b)² and a count.
//!
//! ```
//! use secateurs_eval::{NllSum, next_token_nll};
//! // Uniform logits over 4 tokens: every prediction has probability 1/4.
//! let logits = tch::Tensor::zeros([1, 3, 4], (tch::Kind::Float, tch::Device::Cpu));
//! let ids = tch::Tensor::from_slice(&[0i64, 1, 2]).view([1, 3]);
//! let nll = next_token_nll(&logits, &ids, None);
//! assert!((nll.perplexity() - 4.0).abs() < 1e-5);
//! ```

mod error;
mod nll;
mod perplexity;
mod recon_error;

pub use error::Error;
pub use nll::{NllSum, next_token_nll};
pub use perplexity::window_nll;
pub use recon_error::SquaredError;
