//! secateurs-records: the on-disk records of a secateurs run and the reports made
//! from them — serde and plotters only, no libtorch, so `cargo xtask reproduce`
//! reads runs without linking it.
//!
//! - [`record`]: what the reconstruction driver records per window and per block.
//! - [`RunRecord`]: a whole `run.json` (command, versions, resolved config,
//!   fingerprints, blocks, windows, memory, times), written by `secateurs prune`.
//! - [`report`]: `report.md` for one run and the comparison table of several.
//! - [`plot`]: the SVG figures (error against depth, sparsity per linear, time per
//!   block).

mod error;
pub mod plot;
pub mod record;
pub mod report;
mod run;

pub use error::Error;
pub use record::{BlockRecord, Errors, LinearRecord, Report, WindowRecord};
pub use run::{Fingerprints, MemoryRecord, RunConfig, RunRecord, Seconds, Versions};
