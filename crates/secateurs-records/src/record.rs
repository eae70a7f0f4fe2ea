//! What the driver records, window by window and block by block — written into
//! `run.json` as it is and read back by reports.

use serde::{Deserialize, Serialize};

/// Reconstruction error (the paper's metric, against the dense stream) on the
/// calibration windows and, when given, on the held-out windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Errors {
    /// On calibration windows.
    pub calib: f64,
    /// On held-out windows.
    pub heldout: Option<f64>,
}

/// One reconstruction window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowRecord {
    /// First and one-past-last block.
    pub blocks: [usize; 2],
    /// The block whose output advanced the streams afterwards.
    pub advances: Option<usize>,
    /// The window's error right after pruning (before any training).
    pub before: Errors,
    /// The window's error after each epoch (only the last when errors are measured
    /// at the end only).
    pub epochs: Vec<Errors>,
    /// The epoch whose weights were kept (0 = none trained; early stopping may keep
    /// an earlier one than the last).
    pub kept_epoch: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Elements trained.
    pub trainable: usize,
    /// Wall time.
    pub seconds: f64,
}

/// One linear of a finished block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearRecord {
    /// Full tensor name prefix, e.g. `model.layers.3.mlp.down_proj`.
    pub name: String,
    /// `[out, in]`.
    pub shape: [i64; 2],
    /// Measured fraction of exact zeros.
    pub sparsity: f64,
    /// SparseGPT's relative damping, when it factorised a Hessian.
    pub damping: Option<f64>,
}

/// One finished block: measured when it advanced the streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// Block index.
    pub block: usize,
    /// Measured sparsity over all its linears.
    pub sparsity: f64,
    /// Error of the window that finished it, right after pruning ("LR" state).
    pub error_pruned: Errors,
    /// Error of the block's output against the dense stream once finished — the
    /// paper's per-block reconstruction error.
    pub error: Errors,
    /// Epoch kept by the window that finished it.
    pub kept_epoch: usize,
    /// Wall time of the window that finished it.
    pub seconds: f64,
    /// Its linears.
    pub linears: Vec<LinearRecord>,
}

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Every window in order.
    pub windows: Vec<WindowRecord>,
    /// Every block in order.
    pub blocks: Vec<BlockRecord>,
    /// Bytes held by activation streams.
    pub stream_bytes: u64,
    /// Wall time.
    pub seconds: f64,
}
