//! A model with every block loaded once, for evaluations that run many batches
//! (perplexity, zero-shot scoring): the forward pass without re-reading blocks.

use secateurs_model::{Block, Model};
use tch::Tensor;

use crate::Error;

/// A model and its blocks, resident on the model's device.
#[derive(Debug)]
pub struct Resident<'m> {
    /// The model (embeddings, final norm, head).
    pub model: &'m Model,
    blocks: Vec<Block>,
}

impl<'m> Resident<'m> {
    /// Loads every block.
    pub fn load(model: &'m Model) -> Result<Self, Error> {
        let blocks = (0..model.num_blocks()).map(|i| model.load_block(i)).collect::<Result<_, _>>()?;
        Ok(Self { model, blocks })
    }

    /// Final hidden states `[b, T, H]` (before the final norm) for ids `[b, T]` with
    /// an optional padding mask; no gradients.
    pub fn hidden(&self, ids: &Tensor, attention_mask: Option<&Tensor>) -> Tensor {
        let _guard = tch::no_grad_guard();
        let (x, ctx) = self.model.embed(ids, attention_mask);
        self.blocks.iter().fold(x, |h, block| block.forward(&h, &ctx))
    }
}
