//! Memory: the estimate the crate docs give, and the measured peak.
//!
//! With `P` the bytes of one block's parameters in f32, `k` the window size, `S` the
//! bytes of one stream `n·T·H·elt` (calibration, `n` windows) and `Sₕ` the held-out
//! one, `B` the micro-batch and `A = B·T·(8H + 3F + 2·heads·T)·4` the activations one
//! block keeps for backward:
//!
//! ```text
//! peak ≈ 2k·P                    working and dense copies of the window's blocks
//!      + 4k·P                    gradients, AdamW's two moments, early-stop snapshot
//!      + k·Σ in²·4               pruner statistics (SparseGPT's Hessians)
//!      + 3S + 3Sₕ (+ S local)    sparse and dense streams and the targets
//!      + k·A                     autograd activations of one micro-batch
//! ```
//! Streams placed on the host or on disk move their share off the device.

use secateurs_model::Arch;
use tch::Kind;

use crate::{Propagation, ReconConfig};

/// The parts of the estimate, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Working and dense block copies.
    pub blocks: u64,
    /// Gradients, optimiser moments and the early-stop snapshot.
    pub optimiser: u64,
    /// Pruner statistics.
    pub statistics: u64,
    /// Activation streams and targets.
    pub streams: u64,
    /// Autograd activations of one micro-batch.
    pub activations: u64,
}

impl Estimate {
    /// The sum.
    pub fn total(&self) -> u64 {
        self.blocks + self.optimiser + self.statistics + self.streams + self.activations
    }
}

/// The estimate for a run: `calib` and `heldout` windows of `seqlen` tokens, streams
/// stored in `kind`, `micro_batch` sequences per pass.
pub fn estimate(arch: &Arch, recon: &ReconConfig, calib: i64, heldout: i64, seqlen: i64, kind: Kind, micro_batch: i64) -> Estimate {
    let k = recon.window as u64;
    let shapes = arch.linear_shapes();
    let params: i64 = shapes.iter().map(|([o, i], bias)| o * i + if *bias { *o } else { 0 }).sum::<i64>() + 4 * arch.hidden;
    let block = params as u64 * 4;
    let trains = recon.epochs > 0;
    let stream = |rows: i64| (rows * seqlen * arch.hidden) as u64 * kind.elt_size_in_bytes() as u64;
    let local = if trains && recon.propagation == Propagation::Local { stream(calib) } else { 0 };
    let activations = if trains {
        (micro_batch * seqlen * (8 * arch.hidden + 3 * arch.ffn + 2 * arch.heads * seqlen)) as u64 * 4 * k
    } else {
        0
    };
    Estimate {
        blocks: 2 * k * block,
        optimiser: if trains { 4 * k * block } else { 0 },
        statistics: k * shapes.iter().map(|([_, i], _)| (i * i) as u64 * 4).sum::<u64>(),
        streams: 3 * stream(calib) + 3 * stream(heldout) + local,
        activations,
    }
}

/// The process's peak resident memory so far (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
