//! A model opened for block-by-block execution: embeddings, final norm and head stay
//! resident; decoder blocks are read from disk on demand, so peak host memory is
//! about one block + embeddings/head + activations. The full forward is the
//! composition embed → blocks → logits (one code path).

use std::path::Path;
use std::sync::Arc;

use tch::{Device, Kind, Tensor};

use crate::arch::{Arch, NormKind};
use crate::block::Block;
use crate::ctx::BlockCtx;
use crate::layers::{Linear, Norm};
use crate::store::TensorStore;
use crate::{Checkpoint, Error};

/// A causal LM ready to run block by block.
#[derive(Debug)]
pub struct Model {
    /// The checkpoint it came from.
    pub checkpoint: Checkpoint,
    /// Its resolved architecture.
    pub arch: Arc<Arch>,
    store: TensorStore,
    embed_tokens: Tensor,
    embed_positions: Option<Tensor>,
    final_norm: Norm,
    head: Tensor,
}

impl Model {
    /// Opens a checkpoint directory to compute in `kind` on `device`.
    pub fn open(dir: &Path, kind: Kind, device: Device) -> Result<Self, Error> {
        let checkpoint = Checkpoint::open(dir)?;
        let arch = Arc::new(Arch::from_config(&checkpoint.config)?);
        let store = TensorStore::new(checkpoint.weights.clone(), kind, device);
        let names = arch.names();
        let (v, h) = (arch.vocab, arch.hidden);
        let embed_tokens = store.get(names.embed, &[v, h])?;
        // Position tables have as many rows as the checkpoint gives (OPT adds 2).
        let embed_positions = names.positions.map(|name| store.load(name)).transpose()?;
        let final_norm = load_norm(&store, &arch, names.final_norm, h)?;
        let head = if arch.tied { embed_tokens.shallow_clone() } else { store.get(names.head, &[v, h])? };
        Ok(Self { checkpoint, arch, store, embed_tokens, embed_positions, final_norm, head })
    }

    /// Number of decoder blocks.
    pub fn num_blocks(&self) -> usize {
        self.arch.layers
    }

    /// The checkpoint's tensors, read lazily.
    pub fn store(&self) -> &TensorStore {
        &self.store
    }

    /// The compute device.
    pub fn device(&self) -> Device {
        self.store.device()
    }

    /// Embeds ids `[b, T]` (with an optional padding mask `[b, T]`, 1 = real token)
    /// into hidden states `[b, T, H]`, and builds the context every block needs.
    pub fn embed(&self, ids: &Tensor, attention_mask: Option<&Tensor>) -> (Tensor, BlockCtx) {
        let (b, t) = (ids.size()[0], ids.size()[1]);
        let ctx = BlockCtx::new(&self.arch, (b, t), attention_mask, self.device());
        let x = self.embed_at(ids, &ctx);
        (x, ctx)
    }

    /// Embeds ids `[b, t]` at the positions a context gives (a decoding step).
    pub(crate) fn embed_at(&self, ids: &Tensor, ctx: &BlockCtx) -> Tensor {
        let device = self.device();
        let ids = ids.to_device(device);
        let mut x = Tensor::embedding(&self.embed_tokens, &ids, -1, false, false); // [b, t, H]
        if let Some(scale) = self.arch.embed_scale {
            x *= Tensor::from(scale).to_kind(self.embed_tokens.kind()).to_device(device);
        }
        if let (Some(table), Some(offset)) = (&self.embed_positions, self.arch.learned_positions) {
            x += Tensor::embedding(table, &(&ctx.positions + offset), -1, false, false);
        }
        x
    }

    /// Reads block `i` from the checkpoint onto the compute device.
    pub fn load_block(&self, i: usize) -> Result<Block, Error> {
        let names = self.arch.names();
        let prefix = self.arch.block_prefix(i);
        let mut linears = Vec::new();
        for (name, ([out, inp], bias)) in names.linears.iter().zip(self.arch.linear_shapes()) {
            let full = format!("{prefix}{name}");
            let weight = if self.arch.conv1d {
                // Conv1D stores [in, out].
                self.store.get(&format!("{full}.weight"), &[inp, out])?.transpose(0, 1).contiguous()
            } else {
                self.store.get(&format!("{full}.weight"), &[out, inp])?
            };
            let bias = if bias { Some(self.store.get(&format!("{full}.bias"), &[out])?) } else { None };
            linears.push((*name, Linear { weight, bias }));
        }
        let mut norms = Vec::new();
        for name in names.norms {
            let width = if name.ends_with("q_norm") || name.ends_with("k_norm") { self.arch.head_dim } else { self.arch.hidden };
            norms.push((*name, load_norm(&self.store, &self.arch, &format!("{prefix}{name}"), width)?));
        }
        Ok(Block::new(i, self.arch.clone(), linears, norms))
    }

    /// Final norm, LM head (and Gemma's soft-capping): `[b, T, H]` → logits `[b, T, V]`.
    pub fn logits(&self, hidden: &Tensor) -> Tensor {
        let logits = self.final_norm.forward(hidden).linear::<Tensor>(&self.head, None);
        match self.arch.final_softcap {
            Some(cap) => (logits / cap).tanh() * cap,
            None => logits,
        }
    }

    /// The whole model: embed, every block in turn (each read from disk and dropped
    /// after use), logits.
    pub fn forward(&self, ids: &Tensor, attention_mask: Option<&Tensor>) -> Result<Tensor, Error> {
        let _guard = tch::no_grad_guard();
        let (mut x, ctx) = self.embed(ids, attention_mask);
        for i in 0..self.num_blocks() {
            x = self.load_block(i)?.forward(&x, &ctx);
        }
        Ok(self.logits(&x))
    }
}

fn load_norm(store: &TensorStore, arch: &Arch, prefix: &str, width: i64) -> Result<Norm, Error> {
    let weight = store.get(&format!("{prefix}.weight"), &[width])?;
    let bias = if arch.norm == NormKind::Layer { Some(store.get(&format!("{prefix}.bias"), &[width])?) } else { None };
    Ok(Norm { kind: arch.norm, weight, bias, eps: arch.norm_eps })
}
