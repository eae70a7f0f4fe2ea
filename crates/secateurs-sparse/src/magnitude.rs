//! Magnitude pruning: score |W_ij|; no statistics, no weight update.

use tch::Tensor;

use crate::pruned::select_by_score;
use crate::{Error, LayerStats, Pruned, SparsitySpec};

/// Prunes the weights of smallest magnitude, compared per row or per layer (the
/// paper's code uses one threshold per layer; Wanda's code compares within rows).
pub fn magnitude(weight: &Tensor, _stats: &LayerStats, spec: &SparsitySpec) -> Result<Pruned, Error> {
    let pruned = select_by_score(&weight.abs(), spec)?;
    Ok(Pruned::by_zeroing(weight, &pruned))
}
