//! secateurs-model: Hugging Face causal-LM checkpoints on libtorch — read, run one
//! decoder block at a time, generate from, and save back — with numerics equal to
//! transformers (max |Δlogit| ≤ 1e-4 in f32 on every family's parity fixture).
//!
//! Principal types:
//! - [`Checkpoint`]: a checkpoint directory opened and validated — [`ModelConfig`]
//!   (`config.json`), [`WeightIndex`] (safetensors headers, single or sharded), the
//!   tokenizer and generation config — without loading any weight.
//! - [`Arch`]: what differs between families, as data ([`Family`]: Llama 1/2/3,
//!   Mistral, SmolLM2, Qwen2, Qwen3 — Gemma 3 text — OPT — GPT-NeoX — GPT-2).
//! - [`Model`]: embeddings, final norm and head resident; blocks read from disk on
//!   demand. [`Model::embed`] → [`Block::forward`] for each block → [`Model::logits`]
//!   is the forward pass ([`Model::forward`] is exactly that walk).
//! - [`Block`]: one decoder layer, its linears by name in a fixed order (q, k, v, o,
//!   gate, up, down for Llama), writable, movable between devices.
//! - [`generate`]: KV-cache generation, batched with left padding, greedy or sampled,
//!   seeded. [`Model::save`]: back to a Hugging Face directory, sharded like
//!   transformers.
//! - [`Libtorch`]: which libtorch this process runs on, and whether CUDA is usable.
//!
//! Memory: a walk holds the embeddings and head, the current block, and the
//! activations, so peak host memory ≈ one block + embedding/head + activations
//! `[b, T, H]` (plus the attention scores `[b, heads, T, T]` of one block). Weights
//! are read per tensor with positioned reads from the safetensors files.
//!
//! ```no_run
//! use secateurs_model::Model;
//! use tch::{Device, Kind, Tensor};
//! let model = Model::open("assets/models/smollm2-135m".as_ref(), Kind::Float, Device::Cpu)?;
//! let ids = Tensor::from_slice(&[504i64, 3575, 282, 4649, 314]).view([1, 5]);
//! let (mut x, ctx) = model.embed(&ids, None);
//! for i in 0..model.num_blocks() {
//!     x = model.load_block(i)?.forward(&x, &ctx);
//! }
//! let logits = model.logits(&x); // [1, 5, 49152]
//! # Ok::<(), secateurs_model::Error>(())
//! ```

mod arch;
mod block;
mod checkpoint;
mod config;
mod ctx;
mod error;
mod generate;
mod layers;
mod model;
mod rng;
mod rope;
mod runtime;
mod save;
mod store;
mod weights;

pub use arch::{Activation, Arch, Family, NormKind, SUPPORTED};
pub use block::{Block, KvCache, Tap};
pub use checkpoint::Checkpoint;
pub use config::ModelConfig;
pub use ctx::BlockCtx;
pub use error::Error;
pub use generate::{Decoding, GenerationConfig, generate};
pub use layers::{Linear, Norm};
pub use model::Model;
pub use rng::SplitMix64;
pub use runtime::Libtorch;
pub use store::TensorStore;
pub use weights::{TensorInfo, WeightIndex};
