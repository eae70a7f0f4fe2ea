//! Reconstruction error, the paper's metric: mean over (n, T, H) of the squared
//! difference between two activations — the dense block on the dense stream and the
//! pruned block on the sparse stream (or, "local", both on the sparse stream).
//! Kept as a sum and a count so micro-batches add up exactly.

use tch::{Kind, Tensor};

/// Σ (a − b)² and the number of elements summed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SquaredError {
    /// Σ (a − b)², in f64.
    pub sum: f64,
    /// Number of elements.
    pub count: i64,
}

impl std::ops::Add for SquaredError {
    type Output = Self;

    /// Combines two batches' sums.
    fn add(self, other: Self) -> Self {
        Self { sum: self.sum + other.sum, count: self.count + other.count }
    }
}

impl SquaredError {
    /// Σ (a − b)² over every element of two same-shaped tensors (computed in f32,
    /// accumulated in f64).
    pub fn between(a: &Tensor, b: &Tensor) -> Self {
        let diff = a.to_kind(Kind::Float) - b.to_kind(Kind::Float);
        let sum = diff.square().sum(Kind::Double).double_value(&[]);
        Self { sum, count: diff.numel() as i64 }
    }

    /// The mean squared error (NaN when nothing was summed).
    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_mean_and_batches_add_up() {
        let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).view([1, 2, 2]);
        let b = Tensor::from_slice(&[1.0f32, 0.0, 3.0, 1.0]).view([1, 2, 2]);
        let whole = SquaredError::between(&a, &b);
        assert_eq!((whole.sum, whole.count), (13.0, 4));
        assert_eq!(whole.mean(), 3.25);
        let halves = SquaredError::between(&a.narrow(1, 0, 1), &b.narrow(1, 0, 1))
            + SquaredError::between(&a.narrow(1, 1, 1), &b.narrow(1, 1, 1));
        assert_eq!(halves, whole);
    }
}
