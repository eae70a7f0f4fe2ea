//! `BlockCtx`: everything a decoder block needs besides its input — positions, the
//! additive attention masks (causal, padding, sliding window) and rotary cos/sin —
//! built once per batch by [`crate::Model::embed`].

use tch::{Device, Kind, Tensor};

use crate::arch::Arch;

/// Per-batch context shared by every block.
#[derive(Debug)]
pub struct BlockCtx {
    /// Position of each token `[b, T]`: count of real tokens before it (left padding
    /// does not shift positions), as `generate` computes them.
    pub positions: Tensor,
    /// `[b, T]`, 1 for real tokens.
    pub attention_mask: Tensor,
    /// One additive mask `[b, 1, T, T]` (f32) per distinct window, keyed by it.
    masks: Vec<(Option<i64>, Tensor)>,
    /// cos/sin `[b, T, dim]` per rope kind of the architecture.
    ropes: Vec<(Tensor, Tensor)>,
}

impl BlockCtx {
    /// Builds the context for ids `[b, T]` with an optional padding mask `[b, T]`.
    pub fn new(arch: &Arch, shape: (i64, i64), attention_mask: Option<&Tensor>, device: Device) -> Self {
        let (b, t) = shape;
        let attention_mask = match attention_mask {
            Some(mask) => mask.to_device(device).to_kind(Kind::Int64),
            None => Tensor::ones([b, t], (Kind::Int64, device)),
        };
        Self::for_new_tokens(arch, &attention_mask, t)
    }

    /// The context for the last `new` tokens of a sequence whose whole padding mask
    /// (cached tokens included) is `attention_mask: [b, S]` — a decoding step with a
    /// KV cache. Masks are `[b, 1, new, S]`.
    pub fn for_new_tokens(arch: &Arch, attention_mask: &Tensor, new: i64) -> Self {
        let total = attention_mask.size()[1];
        let all_positions = (attention_mask.cumsum(1, Kind::Int64) - 1).clamp_min(0);
        let positions = all_positions.narrow(1, total - new, new);
        let mut windows: Vec<Option<i64>> = arch.layer_window.clone();
        windows.sort();
        windows.dedup();
        let masks = windows.into_iter().map(|w| (w, additive_mask(attention_mask, new, w))).collect();
        let ropes = arch.ropes.iter().map(|rope| rope.cos_sin(&positions)).collect();
        Self { positions, attention_mask: attention_mask.shallow_clone(), masks, ropes }
    }

    /// The additive mask for a window (`None`: full causal).
    pub fn mask(&self, window: Option<i64>) -> &Tensor {
        &self.masks.iter().find(|(w, _)| *w == window).unwrap_or(&self.masks[0]).1
    }

    /// cos and sin of rope kind `index`, if the architecture has rotary positions.
    pub fn rope(&self, index: usize) -> Option<&(Tensor, Tensor)> {
        self.ropes.get(index)
    }
}

/// `[b, 1, new, S]` additive mask for the last `new` of `S` tokens: 0 where query q
/// may see key k (k ≤ q, k is a real token, and q − k < window when sliding),
/// f32::MIN elsewhere — finite, so fully masked (padding) rows give a uniform softmax
/// instead of NaN, as in transformers.
fn additive_mask(attention_mask: &Tensor, new: i64, window: Option<i64>) -> Tensor {
    let s = attention_mask.size()[1];
    let device = attention_mask.device();
    let q = Tensor::arange_start(s - new, s, (Kind::Int64, device)).view([new, 1]);
    let k = Tensor::arange(s, (Kind::Int64, device)).view([1, s]);
    let mut allowed = k.le_tensor(&q); // [new, S]
    if let Some(w) = window {
        allowed = allowed.logical_and(&(&q - &k).lt(w));
    }
    let keys = attention_mask.ne(0).view([-1, 1, 1, s]); // [b, 1, 1, S]
    let allowed = allowed.view([1, 1, new, s]).logical_and(&keys);
    Tensor::zeros(allowed.size(), (Kind::Float, device)).masked_fill(&allowed.logical_not(), f64::from(f32::MIN))
}
