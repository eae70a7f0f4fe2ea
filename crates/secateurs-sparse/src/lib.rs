//! secateurs-sparse: sparsity patterns and masks, and the pruners that choose them —
//! magnitude, Wanda and SparseGPT, unstructured and N:M — as pure functions over
//! weight tensors and layer statistics. This crate never sees a model.
//!
//! Principal items so far:
//! - [`measure`]: the sparsity a weight actually has — overall, per row, and whether
//!   it satisfies an N:M pattern. `verify` and run records use these, so what is
//!   reported is measured, never assumed.
//!
//! ```
//! use secateurs_sparse::measure;
//! let w = tch::Tensor::from_slice(&[0.0f32, 1.0, 0.0, 2.0]).view([2, 2]);
//! assert_eq!(measure::sparsity(&w), 0.5);
//! assert!(measure::satisfies_n_of_m(&w, 1, 2)?);
//! # Ok::<(), secateurs_sparse::Error>(())
//! ```

mod error;
pub mod measure;

pub use error::Error;
