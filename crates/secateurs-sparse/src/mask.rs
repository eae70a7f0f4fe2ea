//! Choosing which weights to prune from a score `[out, in]` (lower = less important),
//! for each pattern and comparison group. Exactly the requested count is pruned —
//! ties are broken by position (stable sort), never by a `<=` threshold that can
//! prune extra entries — so sparsity is exact and masks are reproducible.
//!
//! Every function returns `pruned: [out, in]` bool, true where a weight is removed.

use tch::{Kind, Tensor};

/// Number of weights pruned when a fraction `sparsity` of `count` is asked for.
pub fn prune_count(sparsity: f64, count: i64) -> i64 {
    (sparsity * count as f64).floor() as i64
}

/// Prunes the `k` lowest scores of every row.
///
/// Selection in linear time: the k-th smallest value `v` of each row (`kthvalue`),
/// every score below it, and as many scores equal to `v` as are still needed, taken
/// in order of position. Exact and deterministic without sorting.
pub fn lowest_per_row(score: &Tensor, k: i64) -> Tensor {
    let cols = score.size()[1];
    if k <= 0 {
        return score.zeros_like().to_kind(Kind::Bool);
    }
    if k >= cols {
        return score.ones_like().to_kind(Kind::Bool);
    }
    let (kth, _) = score.kthvalue(k, 1, true); // [out, 1]
    let below = score.lt_tensor(&kth); // [out, in]
    let still_needed = below.sum_dim_intlist(1, true, Kind::Int64).neg() + k; // [out, 1], >= 1
    let tied = score.eq_tensor(&kth);
    let tie_rank = tied.cumsum(1, Kind::Int64); // 1-based rank among ties, by position
    below.logical_or(&tied.logical_and(&tie_rank.le_tensor(&still_needed)))
}

/// Prunes the `k` lowest scores of the whole matrix (same selection as
/// [`lowest_per_row`], over all entries in row-major order).
pub fn lowest_in_layer(score: &Tensor, k: i64) -> Tensor {
    lowest_per_row(&score.reshape([1, -1]), k).view_as(score)
}

/// Prunes the `m − n` lowest scores in every group of `m` consecutive inputs of each
/// row (N:M keeps `n` per group). Requires `in % m == 0` (checked by the spec).
pub fn lowest_n_of_m(score: &Tensor, n: i64, m: i64) -> Tensor {
    let (rows, cols) = (score.size()[0], score.size()[1]);
    let groups = score.view([rows, cols / m, m]);
    lowest_per_row(&groups.view([rows * (cols / m), m]), m - n).view([rows, cols])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bools(t: &Tensor) -> Vec<bool> {
        Vec::<bool>::try_from(t.flatten(0, -1)).expect("bool tensor")
    }

    // Row 0 holds small scores, row 1 large ones: per-row and per-layer differ.
    fn score() -> Tensor {
        Tensor::from_slice(&[0.1f32, 0.4, 0.3, 0.2, 5.0, 8.0, 7.0, 6.0]).view([2, 4])
    }

    #[test]
    fn row_and_layer_groups_choose_differently() {
        let row = lowest_per_row(&score(), 2);
        assert_eq!(bools(&row), [true, false, false, true, true, false, false, true]);
        let layer = lowest_in_layer(&score(), 4);
        assert_eq!(bools(&layer), [true, true, true, true, false, false, false, false]);
    }

    #[test]
    fn n_of_m_prunes_inside_each_group() {
        let s = Tensor::from_slice(&[4.0f32, 1.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0]).view([1, 8]);
        assert_eq!(bools(&lowest_n_of_m(&s, 2, 4)), [false, true, false, true, true, true, false, false]);
    }

    #[test]
    fn ties_are_pruned_by_position_and_counts_are_exact() {
        let s = Tensor::ones([3, 10], (Kind::Float, tch::Device::Cpu));
        let pruned = lowest_per_row(&s, 4);
        assert_eq!(pruned.sum(Kind::Int64).int64_value(&[]), 12);
        assert_eq!(bools(&pruned.get(0))[..5], [true, true, true, true, false]);
        assert_eq!(lowest_in_layer(&s, 7).sum(Kind::Int64).int64_value(&[]), 7);
        assert_eq!(prune_count(0.5, 7), 3);
    }
}
