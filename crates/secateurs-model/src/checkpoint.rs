//! A checkpoint directory opened and checked: config, weight index and tokenizer,
//! without loading any weight.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tch::Kind;

use crate::{Error, ModelConfig, WeightIndex};

/// A Hugging Face checkpoint directory.
#[derive(Debug)]
pub struct Checkpoint {
    /// The directory.
    pub dir: PathBuf,
    /// `config.json`.
    pub config: ModelConfig,
    /// Every tensor, from the safetensors headers.
    pub weights: WeightIndex,
    /// `tokenizer.json`, when the directory has one.
    pub tokenizer: Option<tokenizers::Tokenizer>,
    /// `generation_config.json`, when present.
    pub generation_config: Option<serde_json::Value>,
}

impl Checkpoint {
    /// Opens a checkpoint directory; errors name the missing or malformed file.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        if !dir.is_dir() {
            return Err(Error::io(dir, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        let config_path = dir.join("config.json");
        if !config_path.is_file() {
            return Err(Error::MissingFile { dir: dir.to_owned(), wanted: "config.json".into() });
        }
        let config = ModelConfig::from_file(&config_path)?;
        let weights = WeightIndex::from_dir(dir)?;
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer = if tokenizer_path.is_file() {
            let tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| {
                Error::Tokenizer { path: tokenizer_path.clone(), message: e.to_string() }
            })?;
            Some(tokenizer)
        } else {
            None
        };
        let generation_path = dir.join("generation_config.json");
        let generation_config = if generation_path.is_file() {
            let text =
                std::fs::read_to_string(&generation_path).map_err(|e| Error::io(&generation_path, e))?;
            Some(serde_json::from_str(&text).map_err(|e| Error::malformed(&generation_path, e))?)
        } else {
            None
        };
        Ok(Self { dir: dir.to_owned(), config, weights, tokenizer, generation_config })
    }

    /// The dtype most of the floating-point weights are stored in (what a pruned copy
    /// is saved in by default).
    pub fn stored_kind(&self) -> Kind {
        let mut counts: Vec<(Kind, usize)> = Vec::new();
        for (_, info) in self.weights.iter() {
            if let Some(kind) = crate::store::kind_of(info.dtype).filter(|k| matches!(k, Kind::Float | Kind::Half | Kind::BFloat16 | Kind::Double)) {
                match counts.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += info.numel(),
                    None => counts.push((kind, info.numel())),
                }
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map_or(Kind::Float, |(k, _)| k)
    }

    /// Hex sha256 (16 digits) of `config.json` and every weight file's bytes, in name
    /// order — what run records use to tell models apart.
    pub fn fingerprint(&self) -> Result<String, Error> {
        let mut files: Vec<PathBuf> = vec![self.dir.join("config.json")];
        let mut weights: Vec<PathBuf> = self.weights.iter().map(|(_, info)| info.file.clone()).collect();
        weights.sort();
        weights.dedup();
        files.extend(weights);
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        for file in &files {
            let mut reader = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
            loop {
                let n = reader.read(&mut buffer).map_err(|e| Error::io(file, e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
            }
        }
        Ok(hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
    }
}
