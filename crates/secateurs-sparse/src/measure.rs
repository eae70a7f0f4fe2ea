//! Measured sparsity of a weight matrix `[out, in]`: the fraction of exact zeros,
//! overall and per output row, and N:M compliance along the input dimension.

use tch::{Kind, Tensor};

use crate::Error;
use crate::pruned::matrix_shape;

/// Fraction of entries that are exactly zero.
pub fn sparsity(weight: &Tensor) -> f64 {
    let numel = weight.numel();
    if numel == 0 {
        return 0.0;
    }
    let zeros = weight.eq(0.0).sum(Kind::Int64).int64_value(&[]);
    zeros as f64 / numel as f64
}

/// Fraction of exact zeros in each output row of `weight: [out, in]`.
pub fn row_sparsity(weight: &Tensor) -> Result<Vec<f64>, Error> {
    let (_, cols) = matrix_shape(weight)?;
    let zeros = weight.eq(0.0).sum_dim_intlist(1, false, Kind::Int64); // [out]
    let zeros: Vec<i64> = (0..zeros.size()[0]).map(|row| zeros.int64_value(&[row])).collect();
    Ok(zeros.into_iter().map(|z| if cols == 0 { 0.0 } else { z as f64 / cols as f64 }).collect())
}

/// Whether every group of `m` consecutive input weights in each row of
/// `weight: [out, in]` has at most `n` non-zeros. Requires `in % m == 0`.
pub fn satisfies_n_of_m(weight: &Tensor, n: i64, m: i64) -> Result<bool, Error> {
    let (rows, cols) = matrix_shape(weight)?;
    if m <= 0 || cols % m != 0 {
        return Err(Error::IndivisibleGroups { in_features: cols, m });
    }
    let nonzero_per_group = weight
        .ne(0.0)
        .view([rows, cols / m, m])
        .sum_dim_intlist(2, false, Kind::Int64); // [out, in / m]
    Ok(nonzero_per_group.le(n).all().int64_value(&[]) == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(rows: i64, values: &[f32]) -> Tensor {
        Tensor::from_slice(values).view([rows, -1])
    }

    #[test]
    fn counts_exact_zeros_overall_and_per_row() {
        // Row 0 has 3 of 4 zeros, row 1 has 1 of 4: overall 4 of 8.
        let w = weight(2, &[0.0, 0.0, 5.0, 0.0, 1.0, -2.0, 0.0, 3.0]);
        assert_eq!(sparsity(&w), 0.5);
        assert_eq!(row_sparsity(&w).expect("2-D"), vec![0.75, 0.25]);
    }

    #[test]
    fn tiny_values_are_not_zeros() {
        let w = weight(1, &[1e-30, 0.0]);
        assert_eq!(sparsity(&w), 0.5);
    }

    #[test]
    fn checks_two_of_four_in_every_group() {
        let ok = weight(2, &[1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 4.0]);
        assert!(satisfies_n_of_m(&ok, 2, 4).expect("whole groups"));
        // Row 1 keeps three of its four inputs.
        let bad = weight(2, &[1.0, 0.0, 2.0, 0.0, 5.0, 3.0, 0.0, 4.0]);
        assert!(!satisfies_n_of_m(&bad, 2, 4).expect("whole groups"));
        // 50% overall but not 2:4: the second group of four has no zero.
        let unstructured = weight(1, &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(sparsity(&unstructured), 0.5);
        assert!(!satisfies_n_of_m(&unstructured, 2, 4).expect("whole groups"));
    }

    #[test]
    fn rejects_partial_groups_and_non_matrices() {
        let w = weight(2, &[1.0; 6]);
        let err = satisfies_n_of_m(&w, 2, 4).expect_err("3 columns");
        assert!(err.to_string().contains("in_features 3"), "{err}");
        assert!(matches!(row_sparsity(&Tensor::from_slice(&[1.0f32])), Err(Error::NotAMatrix { .. })));
    }
}
