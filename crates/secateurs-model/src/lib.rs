//! secateurs-model: Hugging Face causal-LM checkpoints on libtorch — reading
//! `config.json`, the safetensors weights and `tokenizer.json`, and (as the crate
//! grows) running a model one decoder block at a time and saving it back.
//!
//! Principal types:
//! - [`ModelConfig`]: the parsed `config.json` of a checkpoint.
//! - [`WeightIndex`]: every tensor of a checkpoint (name, dtype, shape, file), read
//!   from the safetensors headers only, so no weight is loaded to build it.
//! - [`Checkpoint`]: a checkpoint directory opened and validated: config, weight
//!   index, tokenizer.
//! - [`Libtorch`]: which libtorch this process runs on, and whether CUDA is usable.
//!
//! ```no_run
//! use secateurs_model::Checkpoint;
//! let ckpt = Checkpoint::open("assets/models/smollm2-135m".as_ref())?;
//! println!("{} layers, {} tensors", ckpt.config.num_hidden_layers, ckpt.weights.len());
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
mod rope;
mod runtime;
mod store;
mod weights;

pub use arch::{Activation, Arch, Family, NormKind, SUPPORTED};
pub use block::{Block, KvCache};
pub use checkpoint::Checkpoint;
pub use config::ModelConfig;
pub use ctx::BlockCtx;
pub use error::Error;
pub use generate::{Decoding, GenerationConfig, generate};
pub use layers::{Linear, Norm};
pub use model::Model;
pub use runtime::Libtorch;
pub use store::TensorStore;
pub use weights::{TensorInfo, WeightIndex};
