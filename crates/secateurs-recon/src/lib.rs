//! secateurs-recon: the reconstruction techniques of "Rethinking Pruning LLMs"
//! (EMNLP 2024) and the sequential driver that walks a model window by window,
//! pruning with secateurs-sparse and repairing by minimising reconstruction error.
//!
//! LR, BR, GP and CR are *values* of [`ReconConfig`], never branches on names in
//! the driver:
//!
//! | technique | granularity | window | targets | epochs |
//! |---|---|---|---|---|
//! | LR | layer | 1 block | local | 0 (the pruner alone) |
//! | BR | block | 1 block | local | 10 |
//! | BR+GP | block | 1 block | global (dense stream) | 10 |
//! | BR+GP+CR | block | 2 blocks, stride 1 | global | 10 |
//!
//! Principal items: [`run`] drives a [`Job`] (model, pruner, spec, config, stream
//! options) over [`Data`] (calibration and held-out windows) along [`schedule`],
//! keeping activations in [`Stream`]s ([`Placement`]: device, host or disk) and
//! reporting to an [`Observer`]; it returns a [`Report`] of [`WindowRecord`]s and
//! [`BlockRecord`]s. Memory: see [`memory`] for the estimate
//! (≈ 6k·block + statistics + 3 streams + one micro-batch's activations).
//!
//! ```
//! use secateurs_recon::{Propagation, ReconConfig};
//! let config = ReconConfig::preset("br+gp+cr")?;
//! assert_eq!((config.window, config.propagation), (2, Propagation::Global));
//! assert_eq!(config.name(), "br+gp+cr");
//! # Ok::<(), secateurs_recon::Error>(())
//! ```

mod config;
mod driver;
mod error;
pub mod memory;
mod optim;
mod params;
mod resume;
mod schedule;
mod selection;
mod stream;

pub use config::{Granularity, Propagation, ReconConfig};
pub use driver::{Data, Job, Observer, Quiet, StreamOptions, forward_window, run};
pub use error::Error;
pub use optim::{AdamW, LossScale, Moments, linear_decay};
pub use secateurs_records::{BlockRecord, Errors, LinearRecord, Report, WindowRecord};
pub use resume::Resume;
pub use schedule::{Window, schedule};
pub use selection::Selection;
pub use stream::{Placement, Stream, micro_batches};
