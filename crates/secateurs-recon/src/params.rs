//! The trainable parameters of a window: every linear weight and bias and every norm
//! weight and bias of its blocks, each with its mask (linear weights only) and AdamW
//! moments. Masked gradients are zeroed and masks re-applied after every step, so
//! pruned weights stay exactly zero.

use secateurs_model::Block;
use tch::Tensor;

use crate::optim::{AdamW, Moments};

/// One trainable tensor.
#[derive(Debug)]
struct Param {
    tensor: Tensor,
    mask: Option<Tensor>,
    moments: Moments,
}

/// A window's trainable parameters (handles sharing storage with the blocks).
#[derive(Debug)]
pub struct Params {
    params: Vec<Param>,
}

impl Params {
    /// Makes every parameter of `blocks` a leaf that requires gradients. `masks[b][l]`
    /// is block `b`'s linear `l`'s kept-mask.
    pub fn enable(blocks: &mut [Block], masks: &[Vec<Tensor>]) -> Self {
        let mut params = Vec::new();
        let mut add = |tensor: &mut Tensor, mask: Option<&Tensor>| {
            *tensor = tensor.detach().set_requires_grad(true);
            params.push(Param { tensor: tensor.shallow_clone(), mask: mask.map(|m| m.to_kind(tensor.kind())), moments: Moments::zeros_like(tensor) });
        };
        for (block, masks) in blocks.iter_mut().zip(masks) {
            for ((_, linear), mask) in block.linears_mut().zip(masks) {
                add(&mut linear.weight, Some(mask));
                if let Some(bias) = linear.bias.as_mut() {
                    add(bias, None);
                }
            }
            for (_, norm) in block.norms_mut() {
                add(&mut norm.weight, None);
                if let Some(bias) = norm.bias.as_mut() {
                    add(bias, None);
                }
            }
        }
        Self { params }
    }

    /// Number of trainable elements.
    pub fn numel(&self) -> usize {
        self.params.iter().map(|p| p.tensor.numel()).sum()
    }

    /// Clears accumulated gradients.
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.tensor.zero_grad();
        }
    }

    /// Whether every gradient is finite (after unscaling).
    pub fn grads_finite(&self) -> bool {
        self.params.iter().all(|p| {
            let g = p.tensor.grad();
            !g.defined() || g.isfinite().all().int64_value(&[]) == 1
        })
    }

    /// One AdamW step at learning rate `lr` on gradients divided by `scale`.
    pub fn step(&mut self, opt: &AdamW, t: u64, lr: f64, scale: f64) {
        let _guard = tch::no_grad_guard();
        for p in &mut self.params {
            let grad = p.tensor.grad();
            if !grad.defined() {
                continue;
            }
            let mut grad = grad / scale;
            if let Some(mask) = &p.mask {
                grad *= mask;
            }
            opt.step(&mut p.tensor, &grad, &mut p.moments, t, lr);
            if let Some(mask) = &p.mask {
                let _ = p.tensor.g_mul_(mask);
            }
        }
    }

    /// Copies of the current values (for early stopping).
    pub fn snapshot(&self) -> Vec<Tensor> {
        self.params.iter().map(|p| p.tensor.detach().copy()).collect()
    }

    /// Restores values from a snapshot.
    pub fn restore(&mut self, snapshot: &[Tensor]) {
        let _guard = tch::no_grad_guard();
        for (p, saved) in self.params.iter_mut().zip(snapshot) {
            p.tensor.copy_(saved);
        }
    }

    /// Detaches the blocks' tensors again (no gradients, no graph).
    pub fn disable(self, blocks: &mut [Block]) {
        drop(self);
        for block in blocks {
            for (_, linear) in block.linears_mut() {
                linear.weight = linear.weight.detach();
                linear.bias = linear.bias.as_ref().map(Tensor::detach);
            }
            for (_, norm) in block.norms_mut() {
                norm.weight = norm.weight.detach();
                norm.bias = norm.bias.as_ref().map(Tensor::detach);
            }
        }
    }
}
