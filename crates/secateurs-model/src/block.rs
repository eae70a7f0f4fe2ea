//! One decoder block: its linears (by Hugging Face name, in a fixed order) and norms,
//! and its forward pass — one implementation per family, driven by [`Arch`].

use std::sync::Arc;

use tch::{Device, Tensor};

use crate::arch::{Arch, Family};
use crate::ctx::BlockCtx;
use crate::layers::{Linear, Norm, activate, attention};

/// Sees each linear's input as the block runs: `(linear index, input [..., in])`.
pub type Tap<'a> = &'a mut dyn FnMut(usize, &Tensor);

/// One block's cached keys and values `[b, kv_heads, S, d]`, empty before the first step.
pub type KvCache = Option<(Tensor, Tensor)>;

/// A decoder block.
#[derive(Debug)]
pub struct Block {
    /// Index in the model.
    pub index: usize,
    arch: Arc<Arch>,
    linears: Vec<(&'static str, Linear)>,
    norms: Vec<(&'static str, Norm)>,
}

impl Block {
    pub(crate) fn new(index: usize, arch: Arc<Arch>, linears: Vec<(&'static str, Linear)>, norms: Vec<(&'static str, Norm)>) -> Self {
        Self { index, arch, linears, norms }
    }

    /// The block's linears in their fixed order (q, k, v, o, gate, up, down for Llama;
    /// q, k, v, out, fc1, fc2 for OPT; …), by name relative to the block.
    pub fn linears(&self) -> impl Iterator<Item = (&'static str, &Linear)> {
        self.linears.iter().map(|(name, linear)| (*name, linear))
    }

    /// Mutable access to the linears, e.g. to write pruned weights back.
    pub fn linears_mut(&mut self) -> impl Iterator<Item = (&'static str, &mut Linear)> {
        self.linears.iter_mut().map(|(name, linear)| (*name, linear))
    }

    /// The block's norms in their fixed order.
    pub fn norms(&self) -> impl Iterator<Item = (&'static str, &Norm)> {
        self.norms.iter().map(|(name, norm)| (*name, norm))
    }

    /// Mutable access to the norms, e.g. to train them.
    pub fn norms_mut(&mut self) -> impl Iterator<Item = (&'static str, &mut Norm)> {
        self.norms.iter_mut().map(|(name, norm)| (*name, norm))
    }

    /// Every tensor of the block by name relative to it (`mlp.down_proj.weight`,
    /// `input_layernorm.weight`, …), in its in-memory layout — e.g. to save and
    /// restore a block's state.
    pub fn tensors_mut(&mut self) -> Vec<(String, &mut Tensor)> {
        let mut out = Vec::new();
        for (name, linear) in &mut self.linears {
            out.push((format!("{name}.weight"), &mut linear.weight));
            if let Some(bias) = linear.bias.as_mut() {
                out.push((format!("{name}.bias"), bias));
            }
        }
        for (name, norm) in &mut self.norms {
            out.push((format!("{name}.weight"), &mut norm.weight));
            if let Some(bias) = norm.bias.as_mut() {
                out.push((format!("{name}.bias"), bias));
            }
        }
        out
    }

    /// Moves every tensor of the block to `device`.
    pub fn to_device(&mut self, device: Device) {
        for (_, l) in &mut self.linears {
            l.weight = l.weight.to_device(device);
            l.bias = l.bias.as_ref().map(|b| b.to_device(device));
        }
        for (_, n) in &mut self.norms {
            n.weight = n.weight.to_device(device);
            n.bias = n.bias.as_ref().map(|b| b.to_device(device));
        }
    }

    /// `x: [b, T, H]` → `[b, T, H]`.
    pub fn forward(&self, x: &Tensor, ctx: &BlockCtx) -> Tensor {
        self.forward_cached(x, ctx, None)
    }

    /// Like [`Block::forward`], showing every linear's input to `tap` (how pruners'
    /// statistics are gathered).
    pub fn forward_tapped(&self, x: &Tensor, ctx: &BlockCtx, tap: Tap<'_>) -> Tensor {
        self.run(x, ctx, None, tap)
    }

    /// Like [`Block::forward`] for the newest tokens only, reading and extending the
    /// block's key/value cache (`[b, kv_heads, S, d]` each) when one is given.
    pub fn forward_cached(&self, x: &Tensor, ctx: &BlockCtx, cache: Option<&mut KvCache>) -> Tensor {
        self.run(x, ctx, cache, &mut |_, _| {})
    }

    fn run(&self, x: &Tensor, ctx: &BlockCtx, mut cache: Option<&mut KvCache>, tap: Tap<'_>) -> Tensor {
        let arch = &self.arch;
        let norm = |i: usize, t: &Tensor| self.norms[i].1.forward(t);
        let mut attend = |h: &Tensor, tap: Tap<'_>| self.self_attention(h, ctx, cache.as_deref_mut(), tap);
        match arch.family {
            Family::Gemma3 => {
                let h = x + norm(1, &attend(&norm(0, x), tap));
                &h + norm(3, &self.mlp(&norm(2, &h), tap))
            }
            _ if arch.parallel_residual => x + attend(&norm(0, x), tap) + self.mlp(&norm(1, x), tap),
            _ if arch.pre_norm => {
                let h = x + attend(&norm(0, x), tap);
                &h + self.mlp(&norm(1, &h), tap)
            }
            _ => {
                let h = norm(0, &(x + attend(x, tap)));
                norm(1, &(&h + self.mlp(&h, tap)))
            }
        }
    }

    /// Linear `i` on `h`, shown to the tap first.
    fn linear(&self, i: usize, h: &Tensor, tap: Tap<'_>) -> Tensor {
        tap(i, h);
        self.linears[i].1.forward(h)
    }

    /// Attention sub-layer on normalised input `h: [b, T, H]`.
    fn self_attention(&self, h: &Tensor, ctx: &BlockCtx, cache: Option<&mut KvCache>, tap: Tap<'_>) -> Tensor {
        let a = &self.arch;
        let (b, t) = (h.size()[0], h.size()[1]);
        let mut lin = |i: usize, x: &Tensor| self.linear(i, x, tap);
        let (q, k, v) = match a.family {
            Family::GptNeox => {
                let qkv = lin(0, h).view([b, t, a.heads, 3 * a.head_dim]);
                let parts = qkv.chunk(3, -1);
                (parts[0].shallow_clone(), parts[1].shallow_clone(), parts[2].shallow_clone())
            }
            Family::Gpt2 => {
                let parts = lin(0, h).chunk(3, -1);
                let heads = |p: &Tensor| p.view([b, t, a.heads, a.head_dim]);
                (heads(&parts[0]), heads(&parts[1]), heads(&parts[2]))
            }
            _ => (
                lin(0, h).view([b, t, a.heads, a.head_dim]),
                lin(1, h).view([b, t, a.kv_heads, a.head_dim]),
                lin(2, h).view([b, t, a.kv_heads, a.head_dim]),
            ),
        };
        let (q, k) = if a.qk_norm {
            let n = self.norms.len();
            (self.norms[n - 2].1.forward(&q), self.norms[n - 1].1.forward(&k))
        } else {
            (q, k)
        };
        // [b, heads, T, d]
        let (mut q, mut k, mut v) = (q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
        if let Some((cos, sin)) = ctx.rope(a.layer_rope[self.index]) {
            q = crate::rope::apply_rotary(&q, cos, sin);
            k = crate::rope::apply_rotary(&k, cos, sin);
        }
        if let Some(cache) = cache {
            if let Some((past_k, past_v)) = cache.take() {
                k = Tensor::cat(&[past_k, k], 2);
                v = Tensor::cat(&[past_v, v], 2);
            }
            *cache = Some((k.shallow_clone(), v.shallow_clone()));
        }
        let mask = ctx.mask(a.layer_window[self.index]);
        let out = attention(&q, &k, &v, mask, a.attn_scale);
        lin(a.attention_linears() - 1, &out)
    }

    /// MLP sub-layer on normalised input.
    fn mlp(&self, h: &Tensor, tap: Tap<'_>) -> Tensor {
        let a = &self.arch;
        let base = a.attention_linears();
        let mut lin = |i: usize, x: &Tensor| self.linear(base + i, x, tap);
        match a.family {
            Family::Llama | Family::Gemma3 => {
                let gated = activate(a.activation, &lin(0, h)) * lin(1, h);
                lin(2, &gated)
            }
            _ => {
                let hidden = activate(a.activation, &lin(0, h));
                lin(1, &hidden)
            }
        }
    }
}
