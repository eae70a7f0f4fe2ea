//! The small layers every family is built from: linear, norms, activations, and
//! scaled dot-product attention with grouped-query heads and an additive mask — each
//! a pure function of its tensors.

use tch::{Kind, Tensor};

use crate::arch::{Activation, NormKind};

/// A linear layer `y = x Wᵀ + b` with `W: [out, in]`.
#[derive(Debug)]
pub struct Linear {
    /// `[out, in]`.
    pub weight: Tensor,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Tensor>,
}

impl Linear {
    /// Applies the layer to `x: [..., in]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.linear(&self.weight, self.bias.as_ref())
    }
}

/// A normalisation layer.
#[derive(Debug)]
pub struct Norm {
    /// Kind of normalisation.
    pub kind: NormKind,
    /// Scale `[H]`.
    pub weight: Tensor,
    /// Shift `[H]` (LayerNorm only).
    pub bias: Option<Tensor>,
    /// Epsilon.
    pub eps: f64,
}

impl Norm {
    /// Normalises the last dimension of `x`, in f32 as transformers does.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let kind = x.kind();
        match self.kind {
            // Llama casts back before scaling, Gemma after (as transformers does).
            NormKind::Rms => &self.weight * rms_normalise(x, self.eps).to_kind(kind),
            NormKind::RmsOffset => (rms_normalise(x, self.eps) * (self.weight.to_kind(Kind::Float) + 1.0)).to_kind(kind),
            NormKind::Layer => {
                let h = *x.size().last().unwrap_or(&0);
                x.layer_norm([h], Some(&self.weight), self.bias.as_ref(), self.eps, false)
            }
        }
    }
}

/// `x / rms(x)` over the last dimension, in f32.
fn rms_normalise(x: &Tensor, eps: f64) -> Tensor {
    let x32 = x.to_kind(Kind::Float);
    &x32 * (x32.square().mean_dim(-1, true, Kind::Float) + eps).rsqrt()
}

/// Applies an activation.
pub fn activate(activation: Activation, x: &Tensor) -> Tensor {
    match activation {
        Activation::Silu => x.silu(),
        Activation::Gelu => x.gelu("none"),
        Activation::GeluTanh => x.gelu("tanh"),
        Activation::Relu => x.relu(),
    }
}

/// Scaled dot-product attention. `q: [b, h, T, d]`, `k`, `v: [b, kv, S, d]` with
/// `h` a multiple of `kv` (grouped-query), `mask: [b, 1, T, S]` additive (f32); scores
/// are scaled, masked and softmaxed in f32. Returns `[b, T, h·d]`.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor, scale: f64) -> Tensor {
    let (b, h, t, d) = (q.size()[0], q.size()[1], q.size()[2], q.size()[3]);
    let groups = h / k.size()[1];
    let (k, v) = if groups > 1 {
        (k.repeat_interleave_self_int(groups, 1, None), v.repeat_interleave_self_int(groups, 1, None))
    } else {
        (k.shallow_clone(), v.shallow_clone())
    };
    let scores = q.matmul(&k.transpose(2, 3)) * scale; // [b, h, T, S]
    let probs = (scores.to_kind(Kind::Float) + mask).softmax(-1, Kind::Float).to_kind(q.kind());
    probs.matmul(&v).transpose(1, 2).contiguous().view([b, t, h * d])
}
