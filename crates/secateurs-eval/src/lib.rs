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
//! - [`SquaredError`]: the reconstruction-error metric, Σ(a − b)² and a count;
//!   [`block_errors`]: per-block errors between a dense and a pruned model (the
//!   paper's, against the dense stream, and the local one).
//! - Zero-shot multiple choice as lm-evaluation-harness scores it: [`TASKS`] (boolq,
//!   rte, hellaswag, winogrande, arc_easy, arc_challenge, openbookqa, piqa — prompts
//!   from lm-eval's task YAML files), [`analogy_questions`] (offline smoke test),
//!   [`score`] (continuation log-likelihoods, batched), [`evaluate`] → [`Accuracy`]
//!   (`acc`, `acc_norm`, standard errors).
//!
//! ```
//! use secateurs_eval::{NllSum, next_token_nll};
//! // Uniform logits over 4 tokens: every prediction has probability 1/4.
//! let logits = tch::Tensor::zeros([1, 3, 4], (tch::Kind::Float, tch::Device::Cpu));
//! let ids = tch::Tensor::from_slice(&[0i64, 1, 2]).view([1, 3]);
//! let nll = next_token_nll(&logits, &ids, None);
//! assert!((nll.perplexity() - 4.0).abs() < 1e-5);
//! ```

mod analogy;
mod block_errors;
mod error;
mod loglik;
mod multiple_choice;
mod nll;
mod perplexity;
mod protocol;
mod recon_error;
mod resident;
mod tasks;

pub use analogy::analogy_questions;
pub use block_errors::{BlockError, block_errors};
pub use error::Error;
pub use loglik::{Request, Scored, encode_pair, score};
pub use multiple_choice::{Accuracy, accuracy, evaluate};
pub use nll::{NllSum, next_token_nll};
pub use perplexity::window_nll;
pub use protocol::{PRESETS, Protocol};
pub use recon_error::SquaredError;
pub use resident::Resident;
pub use tasks::{BuildFn, Question, TASKS, Task, hellaswag_preprocess, task};
