//! `config.json` of a Hugging Face causal LM, parsed with serde.
//!
//! Only the fields shared by every supported family are typed; the rest of the file
//! is kept in [`ModelConfig::extra`] so family-specific settings (rope scaling,
//! sliding windows, biases) can be read from it without losing anything.

use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// The parsed `config.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    /// Architecture family key, e.g. `llama`, `qwen2`, `opt`, `gpt2`.
    pub model_type: String,
    /// Width of the residual stream (`n_embd` in GPT-2).
    #[serde(alias = "n_embd", alias = "d_model")]
    pub hidden_size: usize,
    /// Number of decoder blocks (`n_layer` in GPT-2).
    #[serde(alias = "n_layer")]
    pub num_hidden_layers: usize,
    /// Number of query heads (`n_head` in GPT-2).
    #[serde(alias = "n_head")]
    pub num_attention_heads: usize,
    /// Number of key/value heads; equals the query heads when absent.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Longest sequence the positions support (`n_positions` in GPT-2).
    #[serde(default, alias = "n_positions")]
    pub max_position_embeddings: Option<usize>,
    /// Whether the LM head shares the embedding matrix.
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// Every other key of the file, untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ModelConfig {
    /// Reads and parses `config.json`; errors name the file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json(&text).map_err(|message| Error::malformed(path, message))
    }

    /// Parses the text of a `config.json`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let config: Self = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if config.num_attention_heads == 0 || !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            ));
        }
        Ok(config)
    }

    /// Key/value heads (grouped-query attention), defaulting to the query heads.
    pub fn kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    /// A number from the other keys, or a default.
    pub fn f64_or(&self, key: &str, default: f64) -> f64 {
        self.extra.get(key).and_then(serde_json::Value::as_f64).unwrap_or(default)
    }

    /// A flag from the other keys, or a default.
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.extra.get(key).and_then(serde_json::Value::as_bool).unwrap_or(default)
    }

    /// A string from the other keys, or a default.
    pub fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.extra.get(key).and_then(serde_json::Value::as_str).unwrap_or(default)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.extra
            .get("head_dim")
            .and_then(serde_json::Value::as_u64)
            .map_or(self.hidden_size / self.num_attention_heads, |d| d as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_llama_config_with_gqa_and_keeps_extra_keys() {
        let config = ModelConfig::from_json(
            r#"{"model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30,
                "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152,
                "max_position_embeddings": 8192, "tie_word_embeddings": true,
                "rms_norm_eps": 1e-5, "rope_theta": 100000.0}"#,
        )
        .expect("valid config");
        assert_eq!(config.kv_heads(), 3);
        assert_eq!(config.head_dim(), 64);
        assert_eq!(config.extra["rope_theta"], 100000.0);
    }

    #[test]
    fn reads_gpt2_aliases() {
        let config = ModelConfig::from_json(
            r#"{"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4,
                "vocab_size": 100, "n_positions": 128}"#,
        )
        .expect("valid config");
        assert_eq!((config.hidden_size, config.num_hidden_layers), (64, 2));
        assert_eq!(config.kv_heads(), 4);
        assert_eq!(config.max_position_embeddings, Some(128));
    }

    #[test]
    fn rejects_heads_that_do_not_divide_the_width() {
        let err = ModelConfig::from_json(
            r#"{"model_type": "llama", "hidden_size": 10, "num_hidden_layers": 1,
                "num_attention_heads": 3, "vocab_size": 5}"#,
        )
        .expect_err("10 is not a multiple of 3");
        assert!(err.contains("num_attention_heads 3"), "{err}");
    }
}
