//! The schedule: which blocks each reconstruction window holds and which block's
//! output advances the streams afterwards. One formula covers every technique:
//! with window size `k`, windows are `i = 1 − k, …, L − 1`, holding blocks
//! `max(0, i) ..= min(i + k − 1, L − 1)` and advancing the streams by block `i`
//! when `i ≥ 0`. For `k = 1` that is one window per block (LR, BR); for `k = 2` it is
//! the paper's CR: a single-block window at each end and `L + 1` windows in all, so
//! every block is trained twice.

use std::ops::Range;

/// One reconstruction window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Blocks pruned and trained together.
    pub blocks: Range<usize>,
    /// The block whose output advances the streams afterwards (always the window's
    /// first), or none for the leading windows of CR.
    pub advances: Option<usize>,
}

/// The windows for a model of `layers` blocks with windows of `size ≥ 1` blocks.
pub fn schedule(layers: usize, size: usize) -> Vec<Window> {
    let (layers, size) = (layers as isize, size.max(1) as isize);
    (1 - size..layers)
        .filter(|_| layers > 0)
        .map(|i| Window {
            blocks: i.max(0) as usize..((i + size - 1).min(layers - 1) + 1) as usize,
            advances: (i >= 0).then_some(i as usize),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times_trained(windows: &[Window], block: usize) -> usize {
        windows.iter().filter(|w| w.blocks.contains(&block)).count()
    }

    #[test]
    fn one_block_windows_walk_the_model_once() {
        let w = schedule(3, 1);
        assert_eq!(w, [0, 1, 2].map(|i| Window { blocks: i..i + 1, advances: Some(i) }));
    }

    #[test]
    fn cross_block_windows_match_the_paper() {
        let w = schedule(4, 2);
        let blocks: Vec<_> = w.iter().map(|w| (w.blocks.clone(), w.advances)).collect();
        assert_eq!(blocks, [(0..1, None), (0..2, Some(0)), (1..3, Some(1)), (2..4, Some(2)), (3..4, Some(3))]);
        assert!((0..4).all(|b| times_trained(&w, b) == 2));
        let advanced: Vec<_> = w.iter().filter_map(|w| w.advances).collect();
        assert_eq!(advanced, [0, 1, 2, 3], "every block advances the streams once, in order");
        assert!(w.iter().all(|w| w.advances.is_none_or(|a| a == w.blocks.start)));
    }

    #[test]
    fn wider_windows_train_each_block_k_times() {
        let w = schedule(5, 3);
        assert!((0..5).all(|b| times_trained(&w, b) == 3));
        assert!(schedule(0, 2).is_empty());
    }
}
