//! secateurs-sparse: sparsity patterns and masks, and the pruners that choose them —
//! magnitude, Wanda and SparseGPT, unstructured and N:M — as pure functions over
//! weight tensors and layer statistics, identical on CPU and CUDA. This crate never
//! sees a model.
//!
//! Principal items:
//! - [`SparsitySpec`]: sparsity, [`Pattern`] (unstructured, N:M) and comparison
//!   [`Group`] (row, layer, SparseGPT's column block), parsed with errors that list
//!   the allowed values.
//! - [`LayerStats`]: streaming input statistics (Hessian, input norms) whose result
//!   does not depend on batching, mergeable across accumulators.
//! - [`method`] / [`METHODS`]: the registry from method name to pruner, with the
//!   statistics each needs; every pruner returns a [`Pruned`] weight and mask.
//! - [`measure`]: the sparsity a weight actually has, and N:M compliance.
//!
//! ```
//! use secateurs_sparse::{LayerStats, SparsitySpec, method, measure};
//! use tch::{Device, Kind, Tensor};
//!
//! let x = Tensor::randn([256, 16], (Kind::Float, Device::Cpu)); // layer inputs [tokens, in]
//! let w = Tensor::randn([8, 16], (Kind::Float, Device::Cpu)); // weight [out, in]
//! let sparsegpt = method("sparsegpt")?;
//! let mut stats = LayerStats::new(16, sparsegpt.needs, Device::Cpu);
//! stats.add_batch(&x)?;
//! let spec = SparsitySpec::parse("0.5", "2:4", "column-block")?;
//! let pruned = sparsegpt.prune(&w, &stats, &spec)?;
//! assert!(measure::satisfies_n_of_m(&pruned.weight, 2, 4)?);
//! assert_eq!(measure::sparsity(&pruned.weight), 0.5);
//! # Ok::<(), secateurs_sparse::Error>(())
//! ```

mod error;
mod magnitude;
mod mask;
pub mod measure;
mod pruned;
mod registry;
mod sparsegpt;
mod spec;
mod stats;
mod wanda;

pub use error::Error;
pub use magnitude::magnitude;
pub use pruned::Pruned;
pub use registry::{METHODS, Method, PruneFn, method};
pub use sparsegpt::{BLOCK_SIZE, DAMPING, MAX_ATTEMPTS, damped_inverse_cholesky, sparsegpt};
pub use spec::{Group, Pattern, SparsitySpec};
pub use stats::{LayerStats, Needs};
pub use wanda::{wanda, wanda_score};
