//! AdamW (PyTorch's formulation) with the paper's linear decay to zero, and the
//! dynamic loss scale that fp16 autocast needs — pure functions of tensors, so the
//! driver's memory is exactly the parameters, their gradients and two moments.

use tch::Tensor;

/// AdamW hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamW {
    /// (β1, β2).
    pub betas: (f64, f64),
    /// ε.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
}

/// One parameter's first and second moments.
#[derive(Debug)]
pub struct Moments {
    m: Tensor,
    v: Tensor,
}

impl Moments {
    /// Zero moments shaped like `param`.
    pub fn zeros_like(param: &Tensor) -> Self {
        Self { m: param.zeros_like(), v: param.zeros_like() }
    }
}

impl AdamW {
    /// Applies step `t` (1-based) with learning rate `lr` to `param` in place:
    /// p ← p(1 − lr·wd) − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
    /// A zero gradient leaves zero moments zero, so masked entries never move.
    pub fn step(&self, param: &mut Tensor, grad: &Tensor, moments: &mut Moments, t: u64, lr: f64) {
        let _guard = tch::no_grad_guard();
        let (b1, b2) = self.betas;
        let _ = moments.m.g_mul_scalar_(b1).g_add_(&(grad * (1.0 - b1)));
        let _ = moments.v.g_mul_scalar_(b2).g_add_(&(grad.square() * (1.0 - b2)));
        let bias1 = 1.0 - b1.powi(t as i32);
        let bias2 = 1.0 - b2.powi(t as i32);
        if self.weight_decay != 0.0 {
            let _ = param.g_mul_scalar_(1.0 - lr * self.weight_decay);
        }
        let denom = moments.v.sqrt() / bias2.sqrt() + self.eps;
        let _ = param.g_sub_(&(&moments.m / denom * (lr / bias1)));
    }
}

/// The learning rate at step `step` (0-based) of `total`: `peak` decaying linearly to
/// zero with no warm-up (transformers' linear schedule).
pub fn linear_decay(peak: f64, step: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { peak * (total - step.min(total)) as f64 / total as f64 }
}

/// A dynamic loss scale for fp16: the loss is multiplied by `scale` before backward;
/// a step whose gradients overflow is skipped and the scale halved; after
/// `growth_interval` good steps it doubles.
#[derive(Debug, Clone, PartialEq)]
pub struct LossScale {
    /// The current scale (1 when unused).
    pub scale: f64,
    good_steps: u32,
    growth_interval: u32,
}

impl LossScale {
    /// PyTorch's GradScaler defaults: 2¹⁶, doubling every 2000 good steps.
    pub fn dynamic() -> Self {
        Self { scale: 65536.0, good_steps: 0, growth_interval: 2000 }
    }

    /// No scaling (f32 or bf16).
    pub fn none() -> Self {
        Self { scale: 1.0, good_steps: 0, growth_interval: u32::MAX }
    }

    /// Records whether the gradients were finite; returns whether to take the step.
    pub fn update(&mut self, finite: bool) -> bool {
        if self.growth_interval == u32::MAX {
            return true;
        }
        if !finite {
            self.scale /= 2.0;
            self.good_steps = 0;
            return false;
        }
        self.good_steps += 1;
        if self.good_steps >= self.growth_interval {
            self.scale *= 2.0;
            self.good_steps = 0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn first_step_moves_by_lr_times_sign_and_masked_entries_stay() {
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + ε) ≈ lr·sign(g).
        let opt = AdamW { betas: (0.9, 0.95), eps: 1e-8, weight_decay: 0.0 };
        let mut p = Tensor::from_slice(&[1.0f32, 0.0, -2.0]);
        let g = Tensor::from_slice(&[0.5f32, 0.0, -3.0]);
        let mut moments = Moments::zeros_like(&p);
        opt.step(&mut p, &g, &mut moments, 1, 0.1);
        let got = Vec::<f32>::try_from(&p).expect("f32");
        assert!((got[0] - 0.9).abs() < 1e-6 && got[1] == 0.0 && (got[2] + 1.9).abs() < 1e-6, "{got:?}");
        opt.step(&mut p, &g, &mut moments, 2, 0.1);
        assert_eq!(Vec::<f32>::try_from(&p).expect("f32")[1], 0.0, "a zero gradient never moves a weight");
    }

    #[test]
    fn matches_torch_adamw_on_a_quadratic() {
        // Minimise ½‖p‖² for 3 steps; reference values from torch.optim.AdamW
        // (lr 0.1, betas (0.9, 0.95), eps 1e-8, weight_decay 0.01).
        let opt = AdamW { betas: (0.9, 0.95), eps: 1e-8, weight_decay: 0.01 };
        let mut p = Tensor::from_slice(&[1.0f64, -0.5]).to_kind(Kind::Double).to_device(Device::Cpu);
        let mut moments = Moments::zeros_like(&p);
        for t in 1..=3 {
            let g = p.copy();
            opt.step(&mut p, &g, &mut moments, t, 0.1);
        }
        let got = Vec::<f64>::try_from(&p).expect("f64");
        let expected = [0.6984092642, -0.2026625834];
        assert!(got.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{got:?}");
    }

    #[test]
    fn schedule_and_loss_scale() {
        assert_eq!(linear_decay(2e-4, 0, 4), 2e-4);
        assert_eq!(linear_decay(2e-4, 2, 4), 1e-4);
        assert_eq!(linear_decay(2e-4, 4, 4), 0.0);
        let mut scale = LossScale::dynamic();
        assert!(!scale.update(false));
        assert_eq!(scale.scale, 32768.0);
        assert!(scale.update(true));
        assert!(LossScale::none().update(false), "no scaling never skips");
    }
}
