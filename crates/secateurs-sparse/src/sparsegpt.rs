//! SparseGPT (Frantar & Alistarh, 2023): prune and reconstruct a layer in one sweep
//! over its columns, using the inverse Hessian of the layer-wise least-squares problem
//! min ‖W X − W′ X‖² (PAPER.md §2).
//!
//! With H = (2/N) Σ x xᵀ damped by λ·mean(diag H)·I (λ = 0.01), and U the upper
//! Cholesky factor of H⁻¹, columns are swept in blocks of 128:
//! 1. inside each block choose the mask by w² / U_jj² (all at once for unstructured;
//!    for N:M, every M columns as the sweep reaches them);
//! 2. column by column, zero the pruned weights and spread the error e = (w − q)/U_jj
//!    onto the block's remaining columns: W[:, j:] −= e · U[j, j:] (the OBS update);
//! 3. after the block, spread its errors onto every later column in one matmul.
//!
//! Dead inputs (diag H = 0) get H_jj = 1 and W[:, j] = 0. When the Cholesky
//! factorisation fails, λ is raised ×10 up to [`MAX_ATTEMPTS`] times; the λ used is
//! returned, and failure is an error, never a silent fallback. All maths is f32 on the
//! weight's device.

use tch::{Kind, Tensor};

use crate::mask::{lowest_in_layer, lowest_per_row, prune_count};
use crate::pruned::{check_stats_width, matrix_shape};
use crate::{Error, Group, LayerStats, Pattern, Pruned, SparsitySpec};

/// Columns per block of the sweep.
pub const BLOCK_SIZE: i64 = 128;
/// Initial relative damping λ.
pub const DAMPING: f64 = 0.01;
/// Factorisation attempts, λ growing ×10 each time.
pub const MAX_ATTEMPTS: usize = 6;

/// Prunes `weight: [out, in]` with SparseGPT. Groups: `column-block` (the reference:
/// one choice across all rows of each 128-column block) or `row` (each row of each
/// block alone). Sparsity is allotted to blocks cumulatively, so the totals per row
/// (row group) or per layer (column-block group) are exact.
pub fn sparsegpt(weight: &Tensor, stats: &LayerStats, spec: &SparsitySpec) -> Result<Pruned, Error> {
    let (rows, cols) = matrix_shape(weight)?;
    spec.check_in_features(cols)?;
    check_stats_width(stats, cols)?;
    if spec.group == Group::Layer && spec.pattern == Pattern::Unstructured {
        return Err(Error::InvalidSpec(
            "SparseGPT chooses its mask per row or per column block (groups 'row', 'column-block'), not per layer".into(),
        ));
    }
    if spec.sparsity == 0.0 {
        return Ok(Pruned { weight: weight.copy(), mask: weight.ones_like().to_kind(Kind::Bool), damping: None });
    }
    let device = weight.device();
    let mut w = weight.to_kind(Kind::Float).copy(); // [out, in]
    let mut h = stats.hessian()?.to_device(device).copy(); // [in, in]

    let dead = h.diag(0).eq(0.0); // [in]
    h += Tensor::diag_embed(&dead.to_kind(Kind::Float), 0, 0, 1);
    let _ = w.masked_fill_(&dead.unsqueeze(0), 0.0);

    let (hinv, damping) = damped_inverse_cholesky(&h)?; // upper [in, in]
    let keep = Tensor::ones([rows, cols], (Kind::Bool, device));
    for start in (0..cols).step_by(BLOCK_SIZE as usize) {
        let count = BLOCK_SIZE.min(cols - start);
        let hinv_block = hinv.narrow(0, start, count).narrow(1, start, count); // [count, count]
        let (q, err, pruned) = sweep_block(&w.narrow(1, start, count), &hinv_block, spec, start, rows);
        w.narrow(1, start, count).copy_(&q);
        keep.narrow(1, start, count).copy_(&pruned.logical_not());
        let rest = cols - start - count;
        if rest > 0 {
            // W[:, later] −= Err · H⁻¹[block, later]
            let mut later = w.narrow(1, start + count, rest);
            let _ = later.g_sub_(&err.matmul(&hinv.narrow(0, start, count).narrow(1, start + count, rest)));
        }
    }
    Ok(Pruned { weight: w.to_kind(weight.kind()), mask: keep, damping: Some(damping) })
}

/// Sweeps one block `w: [out, count]` whose columns start at `start`; returns the
/// pruned-and-updated block, the scaled errors `[out, count]` and the pruned mask.
fn sweep_block(
    w: &Tensor,
    hinv: &Tensor,
    spec: &SparsitySpec,
    start: i64,
    rows: i64,
) -> (Tensor, Tensor, Tensor) {
    let count = w.size()[1];
    let w = w.copy();
    let d = hinv.diag(0); // [count]
    let q = w.zeros_like();
    let err = w.zeros_like();
    let pruned = match spec.pattern {
        Pattern::Unstructured => {
            let score = w.square() / d.square().unsqueeze(0);
            let s = spec.sparsity;
            match spec.group {
                Group::Row => lowest_per_row(&score, prune_count(s, start + count) - prune_count(s, start)),
                _ => lowest_in_layer(&score, prune_count(s, rows * (start + count)) - prune_count(s, rows * start)),
            }
        }
        Pattern::NofM { .. } => w.zeros_like().to_kind(Kind::Bool),
    };
    for i in 0..count {
        if let Pattern::NofM { n, m } = spec.pattern
            && i % m == 0
        {
            let score = w.narrow(1, i, m).square() / d.narrow(0, i, m).square().unsqueeze(0);
            pruned.narrow(1, i, m).copy_(&lowest_per_row(&score, m - n));
        }
        let column = w.select(1, i); // [out]
        let quantised = column.masked_fill(&pruned.select(1, i), 0.0);
        let e = (&column - &quantised) / d.get(i); // [out]
        // W[:, i:] −= e ⊗ H⁻¹[i, i:]
        let mut tail = w.narrow(1, i, count - i);
        let _ = tail.g_sub_(&e.unsqueeze(1).matmul(&hinv.get(i).narrow(0, i, count - i).unsqueeze(0)));
        q.select(1, i).copy_(&quantised);
        err.select(1, i).copy_(&e);
    }
    (q, err, pruned)
}

/// Upper Cholesky factor of (H + λ·mean(diag H)·I)⁻¹ and the λ that worked.
pub fn damped_inverse_cholesky(h: &Tensor) -> Result<(Tensor, f64), Error> {
    let n = h.size()[0];
    let eye = Tensor::eye(n, (Kind::Float, h.device()));
    let mean_diag = h.diag(0).mean(Kind::Float).double_value(&[]);
    let mut damping = DAMPING;
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            damping *= 10.0;
        }
        let damped = h + &eye * (damping * mean_diag);
        if let Some(upper) = inverse_cholesky_upper(&damped) {
            if attempt > 0 {
                tracing::warn!(damping, "SparseGPT: Hessian needed raised damping");
            }
            return Ok((upper, damping));
        }
    }
    Err(Error::Factorisation { attempts: MAX_ATTEMPTS, last_damping: damping })
}

/// cholesky(cholesky_inverse(cholesky(A)), upper), or None when A is not (numerically)
/// positive definite.
fn inverse_cholesky_upper(a: &Tensor) -> Option<Tensor> {
    let ok = |info: &Tensor| info.ne(0).any().int64_value(&[]) == 0;
    let (lower, info) = a.linalg_cholesky_ex(false, false);
    if !ok(&info) {
        return None;
    }
    let (upper, info) = lower.cholesky_inverse(false).linalg_cholesky_ex(true, false);
    let finite = upper.isfinite().all().int64_value(&[]) == 1;
    (ok(&info) && finite).then_some(upper)
}

