//! Wanda (Sun et al., 2023): score |W_ij| · ‖X_j‖₂, with X_j input feature j over all
//! calibration tokens; compared per output row. No weight update.

use tch::{Kind, Tensor};

use crate::pruned::{check_stats_width, matrix_shape, select_by_score};
use crate::{Error, LayerStats, Pruned, SparsitySpec};

/// Wanda's importance score `[out, in]`: |W| scaled by each input's norm.
pub fn wanda_score(weight: &Tensor, input_sq_norm: &Tensor) -> Tensor {
    let norm = input_sq_norm.to_device(weight.device()).to_kind(Kind::Float).sqrt(); // [in]
    weight.abs().to_kind(Kind::Float) * norm.unsqueeze(0)
}

/// Prunes by Wanda's score.
pub fn wanda(weight: &Tensor, stats: &LayerStats, spec: &SparsitySpec) -> Result<Pruned, Error> {
    check_stats_width(stats, matrix_shape(weight)?.1)?;
    let pruned = select_by_score(&wanda_score(weight, &stats.input_sq_norm()?), spec)?;
    Ok(Pruned::by_zeroing(weight, &pruned))
}
