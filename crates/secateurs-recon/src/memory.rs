//! Memory: the estimate the crate docs give, and the measured peak.
//!
//! With `P` the bytes of one block's parameters in f32, `k` the window size, `S` the
//! bytes of one stream `n·T·H·elt` (calibration, `n` windows) and `Sₕ` the held-out
//! one, `B` the micro-batch, `A = B·T·(8H + 3F + 2·heads·T)·4` the activations one
//! block keeps for backward and `G = 3·B·heads·T²·4` the attention gradients that
//! backward holds at its peak inside one block (of the probabilities, of the scores
//! and of the scaled scores; eager attention, so each is a full `[B, heads, T, T]`):
//!
//! ```text
//! peak ≈ E                       embedding table and head (f32)
//!      + 2k·P                    working and dense copies of the window's blocks
//!      + 4k·P                    gradients, AdamW's two moments, early-stop snapshot
//!      + k·Σ in²·4               pruner statistics (SparseGPT's Hessians; Wanda
//!                                keeps only input norms, magnitude nothing)
//!      + 3S + 3Sₕ (+ S local)    sparse and dense streams and the targets
//!      + k·A + G                 autograd activations and gradients of one micro-batch
//! ```
//! Streams placed on the host or on disk move their share off the device. Measured on
//! an H200 (SmolLM2's shape, 64 × 2048 tokens, micro-batch 8; docs/results.md):
//! nvidia-smi's peak, which also counts the CUDA context, was 4–5% above this for
//! BR+GP with device streams, 3% below for CR and 12% above with host streams.
//! Without `G` the estimate was about half the measured peak.

use secateurs_model::Arch;
use secateurs_sparse::Needs;
use tch::Kind;

use crate::{Propagation, ReconConfig};

/// The parts of the estimate, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The embedding table and the head, resident for the whole run.
    pub embeddings: u64,
    /// Working and dense block copies.
    pub blocks: u64,
    /// Gradients, optimiser moments and the early-stop snapshot.
    pub optimiser: u64,
    /// Pruner statistics.
    pub statistics: u64,
    /// Activation streams and targets.
    pub streams: u64,
    /// Autograd activations of one micro-batch and backward's attention gradients.
    pub activations: u64,
}

impl Estimate {
    /// The sum.
    pub fn total(&self) -> u64 {
        self.embeddings + self.blocks + self.optimiser + self.statistics + self.streams + self.activations
    }
}

/// The activations a run keeps: `calib` and `heldout` windows of `seqlen` tokens,
/// stored in `kind`, `micro_batch` sequences per pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activations {
    /// Calibration windows (real and generated).
    pub calib: i64,
    /// Held-out windows.
    pub heldout: i64,
    /// Tokens per window.
    pub seqlen: i64,
    /// Stream storage dtype.
    pub kind: Kind,
    /// Sequences per forward pass.
    pub micro_batch: i64,
}

/// The estimate for a run of a pruner with these `needs`.
pub fn estimate(arch: &Arch, recon: &ReconConfig, needs: Needs, a: Activations) -> Estimate {
    let Activations { calib, heldout, seqlen, kind, micro_batch } = a;
    let k = recon.window as u64;
    let shapes = arch.linear_shapes();
    let params: i64 = shapes.iter().map(|([o, i], bias)| o * i + if *bias { *o } else { 0 }).sum::<i64>() + 4 * arch.hidden;
    let block = params as u64 * 4;
    let trains = recon.epochs > 0;
    let stream = |rows: i64| (rows * seqlen * arch.hidden) as u64 * kind.elt_size_in_bytes() as u64;
    let local = if trains && recon.propagation == Propagation::Local { stream(calib) } else { 0 };
    let activations = if trains {
        let kept = (micro_batch * seqlen * (8 * arch.hidden + 3 * arch.ffn + 2 * arch.heads * seqlen)) as u64 * 4;
        let attention_gradients = 3 * (micro_batch * arch.heads * seqlen * seqlen) as u64 * 4;
        k * kept + attention_gradients
    } else {
        0
    };
    let tables = if arch.tied { 1 } else { 2 };
    Estimate {
        embeddings: (tables * arch.vocab * arch.hidden) as u64 * 4,
        blocks: 2 * k * block,
        optimiser: if trains { 4 * k * block } else { 0 },
        statistics: k * shapes.iter().map(|([_, i], _)| if needs.hessian { (i * i) as u64 * 4 } else if needs.input_sq_norm { *i as u64 * 8 } else { 0 }).sum::<u64>(),
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

/// Memory the machine can give, in bytes (`None` where unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Available {
    /// Free memory of the compute device (`None` on the CPU, where it is the host's).
    pub device: Option<u64>,
    /// Available host memory.
    pub host: Option<u64>,
}

/// Where the streams should live for a run with this estimate, leaving 10% headroom:
/// on the device when everything fits there; else on the host when the rest fits on
/// the device and the streams on the host; else on disk (in `disk_dir`).
pub fn place_streams(estimate: &Estimate, on_cuda: bool, available: Available, disk_dir: &std::path::Path) -> crate::Placement {
    use crate::Placement;
    let fits = |need: u64, have: Option<u64>| have.is_none_or(|have| need as f64 <= 0.9 * have as f64);
    let rest = estimate.total() - estimate.streams;
    if !on_cuda {
        return if fits(estimate.total(), available.host) { Placement::Device } else { Placement::Disk(disk_dir.to_owned()) };
    }
    if fits(estimate.total(), available.device) {
        Placement::Device
    } else if fits(rest, available.device) && fits(estimate.streams, available.host) {
        Placement::Host
    } else {
        Placement::Disk(disk_dir.to_owned())
    }
}

/// Available host memory (Linux `MemAvailable`), if known.
pub fn available_host_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Placement;

    const GB: u64 = 1 << 30;

    fn parts(streams: u64, rest: u64) -> Estimate {
        Estimate { embeddings: 0, blocks: rest, optimiser: 0, statistics: 0, streams, activations: 0 }
    }

    #[test]
    fn streams_go_where_they_fit() {
        let disk = std::path::Path::new("/scratch");
        let cuda = |device, host| place_streams(&parts(20 * GB, 10 * GB), true, Available { device: Some(device * GB), host: Some(host * GB) }, disk);
        assert_eq!(cuda(80, 64), Placement::Device, "everything fits on the GPU");
        assert_eq!(cuda(24, 64), Placement::Host, "the rest fits on the GPU, the streams in RAM");
        assert_eq!(cuda(24, 16), Placement::Disk(disk.into()), "neither");
        let cpu = |host| place_streams(&parts(20 * GB, 10 * GB), false, Available { device: None, host }, disk);
        assert_eq!(cpu(Some(64 * GB)), Placement::Device);
        assert_eq!(cpu(Some(16 * GB)), Placement::Disk(disk.into()));
        assert_eq!(cpu(None), Placement::Device, "unknown memory: assume it fits");
    }

    #[test]
    fn the_estimate_counts_what_training_adds() {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parity/llama/config.json");
        let arch = Arch::from_config(&secateurs_model::ModelConfig::from_file(&config).expect("config")).expect("arch");
        let lr = estimate_for(&arch, "lr");
        let br = estimate_for(&arch, "br+gp");
        let cr = estimate_for(&arch, "br+gp+cr");
        assert_eq!(lr.optimiser, 0);
        assert_eq!(br.optimiser, 2 * br.blocks, "gradients, two moments and a snapshot per block copy pair");
        assert_eq!(cr.blocks, 2 * br.blocks, "a CR window holds two blocks");
        assert!(br.activations > 0 && lr.activations == 0);
        // A CR window keeps a second block's activations; backward's attention gradients
        // live inside one block at a time.
        let (b, t) = (4, 64);
        let kept = (b * t * (8 * arch.hidden + 3 * arch.ffn + 2 * arch.heads * t)) as u64 * 4;
        assert_eq!(cr.activations - br.activations, kept);
        assert_eq!(br.activations - kept, 3 * (b * arch.heads * t * t) as u64 * 4);
        let wanda = estimate(&arch, &ReconConfig::preset("lr").expect("lr"), Needs { hessian: false, input_sq_norm: true }, Activations { calib: 16, heldout: 8, seqlen: 64, kind: Kind::Float, micro_batch: 4 });
        assert!(wanda.statistics * 10 < lr.statistics, "Wanda keeps norms, not Hessians");
    }

    fn estimate_for(arch: &Arch, technique: &str) -> Estimate {
        let hessian = Needs { hessian: true, input_sq_norm: false };
        estimate(arch, &ReconConfig::preset(technique).expect("preset"), hessian, Activations { calib: 16, heldout: 8, seqlen: 64, kind: Kind::Float, micro_batch: 4 })
    }
}
