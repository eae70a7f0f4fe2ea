//! The result every pruner returns, and the mask selection shared by the
//! score-based pruners (magnitude, Wanda).

use tch::{Kind, Tensor};

use crate::mask::{lowest_in_layer, lowest_n_of_m, lowest_per_row, prune_count};
use crate::{Error, Group, LayerStats, Pattern, SparsitySpec};

/// A pruned weight.
#[derive(Debug)]
pub struct Pruned {
    /// The new weight `[out, in]`, in the input's dtype and device; pruned entries
    /// are exactly zero.
    pub weight: Tensor,
    /// `[out, in]` bool, true where the weight is kept.
    pub mask: Tensor,
    /// Relative damping SparseGPT used (λ in λ·mean diag H), if it factorised a Hessian.
    pub damping: Option<f64>,
}

impl Pruned {
    /// Zeroes the pruned entries of `weight` (kept entries unchanged).
    pub(crate) fn by_zeroing(weight: &Tensor, pruned: &Tensor) -> Self {
        Self { weight: weight.masked_fill(pruned, 0.0), mask: pruned.logical_not(), damping: None }
    }
}

/// The `[rows, cols]` of a weight that must be a matrix.
pub(crate) fn matrix_shape(weight: &Tensor) -> Result<(i64, i64), Error> {
    weight.size2().map_err(|_| Error::NotAMatrix { shape: weight.size() })
}

/// Checks that statistics were gathered for a layer with `in_features` inputs.
pub(crate) fn check_stats_width(stats: &LayerStats, in_features: i64) -> Result<(), Error> {
    if stats.in_features() != in_features {
        return Err(Error::Stats(format!(
            "statistics of {} inputs for a weight with {in_features}",
            stats.in_features()
        )));
    }
    Ok(())
}

/// Which entries to prune from a score `[out, in]`, by the spec's pattern and group
/// (row or layer; SparseGPT's column blocks are its own).
pub(crate) fn select_by_score(score: &Tensor, spec: &SparsitySpec) -> Result<Tensor, Error> {
    let (rows, cols) = matrix_shape(score)?;
    spec.check_in_features(cols)?;
    let score = score.to_kind(Kind::Float);
    match (spec.pattern, spec.group) {
        (Pattern::NofM { n, m }, _) => Ok(lowest_n_of_m(&score, n, m)),
        (Pattern::Unstructured, Group::Row) => Ok(lowest_per_row(&score, prune_count(spec.sparsity, cols))),
        (Pattern::Unstructured, Group::Layer) => Ok(lowest_in_layer(&score, prune_count(spec.sparsity, rows * cols))),
        (Pattern::Unstructured, Group::ColumnBlock) => Err(Error::InvalidSpec(
            "the column-block group belongs to SparseGPT's sweep; score-based pruners compare per row or per layer".into(),
        )),
    }
}
