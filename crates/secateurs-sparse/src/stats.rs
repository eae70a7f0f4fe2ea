//! Streaming statistics of a linear layer's inputs, accumulated batch by batch from
//! the sparse stream (PAPER.md §2):
//!
//! - the Hessian of the layer-wise least-squares problem, H = (2/N) Σ x xᵀ `[in, in]`;
//! - the per-feature squared norm ‖X_j‖² = Σ x_j² `[in]` (Wanda's input norm).
//!
//! Both are kept as running means in f32 and reweighted at every batch
//! (`m ← m·N/(N+b) + Σ_batch/(N+b)`), so the result does not depend on how the tokens
//! were batched, and two accumulators (e.g. from two devices) merge exactly.

use tch::{Device, Kind, Tensor};

use crate::Error;

/// Which statistics a pruner needs; the registry declares it per method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// H = (2/N) Σ x xᵀ (SparseGPT).
    pub hessian: bool,
    /// ‖X_j‖² (Wanda).
    pub input_sq_norm: bool,
}

/// Running statistics of one linear layer's inputs.
#[derive(Debug)]
pub struct LayerStats {
    in_features: i64,
    tokens: i64,
    /// (2/N) Σ x xᵀ, `[in, in]` f32.
    hessian: Option<Tensor>,
    /// (1/N) Σ x², `[in]` f32.
    sq_mean: Option<Tensor>,
}

impl LayerStats {
    /// Empty statistics for a layer with `in_features` inputs, on `device`.
    pub fn new(in_features: i64, needs: Needs, device: Device) -> Self {
        let opts = (Kind::Float, device);
        Self {
            in_features,
            tokens: 0,
            hessian: needs.hessian.then(|| Tensor::zeros([in_features, in_features], opts)),
            sq_mean: needs.input_sq_norm.then(|| Tensor::zeros([in_features], opts)),
        }
    }

    /// Statistics from a given Hessian (tests, or a Hessian computed elsewhere);
    /// `input_sq_norm` is derived from its diagonal.
    pub fn from_hessian(hessian: &Tensor, tokens: i64) -> Result<Self, Error> {
        let (rows, cols) = hessian.size2().map_err(|_| Error::Stats(format!("Hessian of shape {:?}", hessian.size())))?;
        if rows != cols || tokens <= 0 {
            return Err(Error::Stats(format!("need a square Hessian and tokens > 0, got {:?} and {tokens}", hessian.size())));
        }
        let hessian = hessian.to_kind(Kind::Float);
        let sq_mean = hessian.diag(0) / 2.0;
        Ok(Self { in_features: cols, tokens, hessian: Some(hessian), sq_mean: Some(sq_mean) })
    }

    /// Adds a batch of layer inputs `x: [..., in]` (any float dtype, any device; it is
    /// moved to the statistics' device and computed in f32).
    pub fn add_batch(&mut self, x: &Tensor) -> Result<(), Error> {
        let width = x.size().last().copied().unwrap_or(0);
        if width != self.in_features {
            return Err(Error::Stats(format!("batch has {width} features, layer has {}", self.in_features)));
        }
        let device = self.device();
        let x = x.reshape([-1, width]).to_device(device).to_kind(Kind::Float); // [b, in]
        let batch = x.size()[0];
        if batch == 0 {
            return Ok(());
        }
        let total = self.tokens + batch;
        let keep = self.tokens as f64 / total as f64;
        if let Some(h) = &mut self.hessian {
            *h *= keep;
            let _ = h.addmm_(&(x.transpose(0, 1) * (2.0 / total as f64)), &x);
        }
        if let Some(m) = &mut self.sq_mean {
            let added = x.square().sum_dim_intlist(0, false, Kind::Float) / total as f64; // [in]
            *m = &*m * keep + added;
        }
        self.tokens = total;
        Ok(())
    }

    /// Combines two accumulators of the same layer, as if every batch of both had
    /// been added to one.
    pub fn merge(&self, other: &Self) -> Result<Self, Error> {
        if self.in_features != other.in_features {
            return Err(Error::Stats(format!("cannot merge {} and {} features", self.in_features, other.in_features)));
        }
        let total = self.tokens + other.tokens;
        let (a, b) = if total == 0 { (0.5, 0.5) } else { (self.tokens as f64 / total as f64, other.tokens as f64 / total as f64) };
        let device = self.device();
        let mix = |x: &Option<Tensor>, y: &Option<Tensor>| match (x, y) {
            (Some(x), Some(y)) => Some(x * a + y.to_device(device) * b),
            _ => None,
        };
        Ok(Self {
            in_features: self.in_features,
            tokens: total,
            hessian: mix(&self.hessian, &other.hessian),
            sq_mean: mix(&self.sq_mean, &other.sq_mean),
        })
    }

    /// Number of input features.
    pub fn in_features(&self) -> i64 {
        self.in_features
    }

    /// Number of tokens accumulated.
    pub fn tokens(&self) -> i64 {
        self.tokens
    }

    /// H = (2/N) Σ x xᵀ, `[in, in]` f32.
    pub fn hessian(&self) -> Result<&Tensor, Error> {
        self.hessian.as_ref().ok_or_else(|| Error::Stats("the Hessian was not accumulated".into()))
    }

    /// ‖X_j‖² = Σ x_j², `[in]` f32.
    pub fn input_sq_norm(&self) -> Result<Tensor, Error> {
        let mean = self.sq_mean.as_ref().ok_or_else(|| Error::Stats("input norms were not accumulated".into()))?;
        Ok(mean * self.tokens as f64)
    }

    fn device(&self) -> Device {
        self.hessian.as_ref().or(self.sq_mean.as_ref()).map_or(Device::Cpu, Tensor::device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> Needs {
        Needs { hessian: true, input_sq_norm: true }
    }

    #[test]
    fn hand_checked_two_tokens() {
        // x1 = (1, 2), x2 = (3, 0): Σ x xᵀ = [[10, 2], [2, 4]], N = 2 → H = Σ x xᵀ.
        let mut stats = LayerStats::new(2, both(), Device::Cpu);
        stats.add_batch(&Tensor::from_slice(&[1.0f32, 2.0, 3.0, 0.0]).view([2, 2])).expect("batch");
        let h = stats.hessian().expect("hessian");
        assert_eq!(Vec::<f32>::try_from(h.flatten(0, 1)).expect("f32"), [10.0, 2.0, 2.0, 4.0]);
        let norms = stats.input_sq_norm().expect("norms");
        assert_eq!(Vec::<f32>::try_from(norms).expect("f32"), [10.0, 4.0]);
        assert_eq!(stats.tokens(), 2);
    }

    #[test]
    fn batching_and_merging_do_not_change_the_result() {
        let x = Tensor::randn([37, 5], (Kind::Float, Device::Cpu));
        let mut whole = LayerStats::new(5, both(), Device::Cpu);
        whole.add_batch(&x).expect("batch");
        let mut pieces = LayerStats::new(5, both(), Device::Cpu);
        for (start, len) in [(0, 1), (1, 16), (17, 20)] {
            pieces.add_batch(&x.narrow(0, start, len)).expect("batch");
        }
        let mut first = LayerStats::new(5, both(), Device::Cpu);
        first.add_batch(&x.narrow(0, 0, 10)).expect("batch");
        let mut second = LayerStats::new(5, both(), Device::Cpu);
        second.add_batch(&x.narrow(0, 10, 27).view([3, 9, 5])).expect("3-D batch");
        let merged = first.merge(&second).expect("merge");
        for other in [&pieces, &merged] {
            assert_eq!(other.tokens(), 37);
            let dh = (whole.hessian().expect("h") - other.hessian().expect("h")).abs().max().double_value(&[]);
            let dn = (whole.input_sq_norm().expect("n") - other.input_sq_norm().expect("n")).abs().max().double_value(&[]);
            assert!(dh < 1e-5 && dn < 1e-4, "{dh} {dn}");
        }
    }

    #[test]
    fn wrong_width_and_missing_statistics_are_errors() {
        let mut stats = LayerStats::new(4, Needs { hessian: false, input_sq_norm: true }, Device::Cpu);
        let err = stats.add_batch(&Tensor::zeros([2, 3], (Kind::Float, Device::Cpu))).expect_err("width");
        assert_eq!(err.to_string(), "layer statistics: batch has 3 features, layer has 4");
        assert!(stats.hessian().is_err());
    }
}
