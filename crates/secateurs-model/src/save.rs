//! Saving a model back to a Hugging Face checkpoint directory that
//! `transformers.AutoModelForCausalLM.from_pretrained` loads: the source's tensor
//! names (tensors we do not model are copied as they are), the requested dtype,
//! shards of at most `max_shard_bytes` with `model.safetensors.index.json` as
//! transformers writes them, and the config (dtype updated) and tokenizer files.
//! The directory is written as `<out>.partial` and renamed when complete, so a
//! failure never leaves a half-written checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use tch::{Kind, Tensor};

use crate::block::Block;
use crate::{Error, Model};

/// Files copied from the source checkpoint besides the weights.
const COPIED: [&str; 8] = [
    "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "chat_template.jinja", "vocab.json", "merges.txt", "tokenizer.model",
];

impl Model {
    /// Writes the model to `out` in `kind`; block `i`'s weights come from
    /// `block_source(i)` (e.g. pruned blocks), everything else from this model.
    pub fn save(
        &self,
        out: &Path,
        kind: Kind,
        max_shard_bytes: u64,
        mut block_source: impl FnMut(usize) -> Result<Block, Error>,
    ) -> Result<(), Error> {
        let partial = out.with_extension("partial");
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial).map_err(|e| Error::io(&partial, e))?;
        let result = self.write_into(&partial, kind, max_shard_bytes, &mut block_source);
        if let Err(err) = result {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(err);
        }
        let _ = std::fs::remove_dir_all(out);
        std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))
    }

    fn write_into(
        &self,
        dir: &Path,
        kind: Kind,
        max_shard_bytes: u64,
        block_source: &mut dyn FnMut(usize) -> Result<Block, Error>,
    ) -> Result<(), Error> {
        let mut shards: Vec<Vec<(String, Tensor)>> = vec![Vec::new()];
        let mut shard_bytes = 0u64;
        let mut push = |name: String, tensor: Tensor, shards: &mut Vec<Vec<(String, Tensor)>>| {
            let tensor = tensor.to_device(tch::Device::Cpu).to_kind(kind).contiguous();
            let bytes = (tensor.numel() * kind.elt_size_in_bytes()) as u64;
            if shard_bytes + bytes > max_shard_bytes && !shards.last().is_some_and(Vec::is_empty) {
                shards.push(Vec::new());
                shard_bytes = 0;
            }
            shard_bytes += bytes;
            if let Some(shard) = shards.last_mut() {
                shard.push((name, tensor));
            }
        };
        let mut written = std::collections::HashSet::new();
        for i in 0..self.num_blocks() {
            let block = block_source(i)?;
            for (name, tensor) in self.block_tensors(&block) {
                let full = format!("{}{name}", self.arch.block_prefix(i));
                written.insert(full.clone());
                push(full, tensor, &mut shards);
            }
        }
        // Everything outside the blocks (embeddings, final norm, head, tensors we do not
        // model) is unchanged: copy it from disk in its stored precision.
        for (name, _) in self.checkpoint.weights.iter().filter(|(n, _)| !written.contains(*n)) {
            push(name.to_owned(), self.store().read_stored(name)?, &mut shards);
        }
        write_shards(dir, shards)?;
        self.write_config(dir, kind)?;
        for file in COPIED {
            let source = self.checkpoint.dir.join(file);
            if source.is_file() {
                std::fs::copy(&source, dir.join(file)).map_err(|e| Error::io(&source, e))?;
            }
        }
        Ok(())
    }

    /// A block's tensors by name relative to the block, in checkpoint layout.
    fn block_tensors(&self, block: &Block) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (name, linear) in block.linears() {
            let weight = if self.arch.conv1d { linear.weight.transpose(0, 1) } else { linear.weight.shallow_clone() };
            out.push((format!("{name}.weight"), weight));
            if let Some(bias) = &linear.bias {
                out.push((format!("{name}.bias"), bias.shallow_clone()));
            }
        }
        for (name, norm) in block.norms() {
            out.push((format!("{name}.weight"), norm.weight.shallow_clone()));
            if let Some(bias) = &norm.bias {
                out.push((format!("{name}.bias"), bias.shallow_clone()));
            }
        }
        out
    }

    fn write_config(&self, dir: &Path, kind: Kind) -> Result<(), Error> {
        let source = self.checkpoint.dir.join("config.json");
        let text = std::fs::read_to_string(&source).map_err(|e| Error::io(&source, e))?;
        let mut config: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::malformed(&source, e))?;
        let dtype = match kind {
            Kind::BFloat16 => "bfloat16",
            Kind::Half => "float16",
            _ => "float32",
        };
        if let Some(map) = config.as_object_mut() {
            map.remove("torch_dtype");
            map.insert("dtype".into(), dtype.into());
        }
        let target = dir.join("config.json");
        let text = serde_json::to_string_pretty(&config).map_err(|e| Error::malformed(&target, e))?;
        std::fs::write(&target, text + "\n").map_err(|e| Error::io(&target, e))
    }
}

/// Writes one `model.safetensors`, or numbered shards plus the index transformers reads.
fn write_shards(dir: &Path, shards: Vec<Vec<(String, Tensor)>>) -> Result<(), Error> {
    let count = shards.len();
    let mut weight_map = BTreeMap::new();
    let mut total = 0u64;
    for (i, shard) in shards.iter().enumerate() {
        let file = if count == 1 { "model.safetensors".to_owned() } else { format!("model-{:05}-of-{count:05}.safetensors", i + 1) };
        for (name, tensor) in shard {
            weight_map.insert(name.clone(), file.clone());
            total += (tensor.numel() * tensor.kind().elt_size_in_bytes()) as u64;
        }
        Tensor::write_safetensors(shard, dir.join(&file))?;
    }
    if count > 1 {
        let index = serde_json::json!({ "metadata": { "total_size": total }, "weight_map": weight_map });
        let path = dir.join("model.safetensors.index.json");
        std::fs::write(&path, index.to_string() + "\n").map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
