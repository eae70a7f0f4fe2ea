//! Reconstruction error per block between a dense and a pruned model on the same
//! windows: the paper's metric — the pruned model's output of block i on its own
//! stream against the dense model's on the dense stream — and the local one — the
//! pruned and dense block i on the same (pruned-stream) input.

use secateurs_model::Model;
use serde::Serialize;
use tch::{Kind, Tensor};

use crate::{Error, SquaredError};

/// One block's errors (means over n, T, H).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BlockError {
    /// Block index.
    pub block: usize,
    /// (dense block on the dense stream − pruned block on the pruned stream)².
    pub global: f64,
    /// (dense block − pruned block, both on the pruned stream)².
    pub local: f64,
}

/// Errors of every block on windows `ids: [n, T]`, `batch` windows at a time.
pub fn block_errors(dense: &Model, pruned: &Model, ids: &Tensor, batch: i64) -> Result<Vec<BlockError>, Error> {
    let _guard = tch::no_grad_guard();
    if dense.num_blocks() != pruned.num_blocks() {
        return Err(Error::Invalid(format!("the dense model has {} blocks, the pruned one {}", dense.num_blocks(), pruned.num_blocks())));
    }
    let n = ids.size()[0];
    let mut sums = vec![(SquaredError::default(), SquaredError::default()); dense.num_blocks()];
    for start in (0..n).step_by(batch.max(1) as usize) {
        let chunk = ids.narrow(0, start, batch.max(1).min(n - start)).to_kind(Kind::Int64);
        let (mut x_dense, ctx) = dense.embed(&chunk, None);
        let (mut x_pruned, _) = pruned.embed(&chunk, None);
        for (i, sum) in sums.iter_mut().enumerate() {
            let (dense_block, pruned_block) = (dense.load_block(i)?, pruned.load_block(i)?);
            let pruned_out = pruned_block.forward(&x_pruned, &ctx);
            let dense_on_pruned = dense_block.forward(&x_pruned, &ctx);
            x_dense = dense_block.forward(&x_dense, &ctx);
            sum.0 = sum.0 + SquaredError::between(&x_dense, &pruned_out);
            sum.1 = sum.1 + SquaredError::between(&dense_on_pruned, &pruned_out);
            x_pruned = pruned_out;
        }
    }
    Ok(sums.iter().enumerate().map(|(block, (g, l))| BlockError { block, global: g.mean(), local: l.mean() }).collect())
}
