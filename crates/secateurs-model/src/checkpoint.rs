//! A checkpoint directory opened and checked: config, weight index and tokenizer,
//! without loading any weight.

use std::path::{Path, PathBuf};

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
}
