//! `run.json`: everything a pruning run was asked and measured, in one file next to
//! the checkpoint it produced.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{BlockRecord, Error, WindowRecord};

/// The whole record of one `secateurs prune` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The command line.
    pub command: Vec<String>,
    /// What ran it.
    pub versions: Versions,
    /// The resolved configuration (recipe file, flags and defaults merged).
    pub config: RunConfig,
    /// What the run read.
    pub fingerprints: Fingerprints,
    /// Every finished block, in order.
    pub blocks: Vec<BlockRecord>,
    /// Every reconstruction window, in order (learning curves).
    pub windows: Vec<WindowRecord>,
    /// Memory, measured and estimated.
    pub memory: MemoryRecord,
    /// Wall times.
    pub seconds: Seconds,
}

/// Versions of what ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    /// The secateurs version.
    pub secateurs: String,
    /// The git commit it was built from ("unknown" outside a checkout).
    pub git_commit: String,
    /// libtorch's version and CUDA availability.
    pub libtorch: String,
}

/// A run's resolved configuration: every `prune` option, as used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The dense checkpoint.
    pub model: PathBuf,
    /// The pruner.
    pub method: String,
    /// Requested sparsity.
    pub sparsity: f64,
    /// `unstructured` or `N:M`.
    pub pattern: String,
    /// Comparison group.
    pub group: String,
    /// Linears pruned (regexes `re:…` or name suffixes; empty = all).
    #[serde(default)]
    pub targets: Vec<String>,
    /// Linears left dense (regexes `re:…` or name suffixes).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Technique name: lr, br, br+gp, br+gp+cr.
    pub recon: String,
    /// Blocks per window.
    pub window: usize,
    /// local or global.
    pub propagation: String,
    /// Epochs per window.
    pub epochs: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW betas.
    pub betas: [f64; 2],
    /// AdamW ε.
    pub eps: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Windows per optimiser step.
    pub batch_size: usize,
    /// Keep the best held-out epoch.
    pub early_stop: bool,
    /// Errors after every epoch (else at the end only).
    pub errors_every_epoch: bool,
    /// Seed of sampling and training order.
    pub seed: u64,
    /// Calibration sources.
    pub calib: Vec<PathBuf>,
    /// Text field of record files.
    pub text_field: String,
    /// Calibration windows used.
    pub nsamples: usize,
    /// Tokens per window.
    pub seqlen: usize,
    /// Held-out source.
    pub heldout: Option<PathBuf>,
    /// Held-out windows used.
    pub heldout_nsamples: Option<usize>,
    /// Self-generated text file.
    pub self_generated: Option<PathBuf>,
    /// Generated windows used.
    pub self_nsamples: Option<usize>,
    /// Compute device.
    pub device: String,
    /// Stream placement.
    pub streams: String,
    /// Stream storage dtype.
    pub stream_dtype: String,
    /// Sequences per forward pass.
    pub micro_batch: i64,
    /// fp16 autocast on CUDA.
    pub autocast: bool,
    /// Dtype of the saved checkpoint.
    pub save_dtype: String,
}

/// Fingerprints of what the run read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// The dense checkpoint (config + weight files).
    pub model: String,
    /// The calibration windows.
    pub calib: String,
    /// The held-out windows.
    pub heldout: Option<String>,
    /// The generated windows.
    pub self_generated: Option<String>,
}

/// Memory, in bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// Peak resident memory of the process, measured (Linux).
    pub peak_rss_bytes: Option<u64>,
    /// The estimate of `secateurs plan` for this run.
    pub estimated_peak_bytes: u64,
    /// Bytes held by activation streams.
    pub stream_bytes: u64,
}

/// Wall times, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seconds {
    /// The reconstruction driver.
    pub recon: f64,
    /// The whole command.
    pub total: f64,
}

impl RunRecord {
    /// The record file of a run directory.
    pub const FILE: &'static str = "run.json";

    /// Reads `DIR/run.json`.
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(Self::FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        serde_json::from_str(&text).map_err(|source| Error::Json { path, source })
    }

    /// The last block's record (the paper's "final-block" error).
    pub fn last_block(&self) -> Option<&BlockRecord> {
        self.blocks.last()
    }

    /// Measured sparsity over every pruned linear, weighted by size.
    pub fn measured_sparsity(&self) -> f64 {
        let (zeros, total) = self.blocks.iter().flat_map(|b| &b.linears).fold((0.0, 0.0), |(z, t), l| {
            let n = (l.shape[0] * l.shape[1]) as f64;
            (z + l.sparsity * n, t + n)
        });
        if total > 0.0 { zeros / total } else { 0.0 }
    }
}
