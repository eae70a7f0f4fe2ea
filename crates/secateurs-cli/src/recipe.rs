//! Recipes: every `prune` option as a TOML file. Keys are the flag names with
//! underscores (`batch_size`, `heldout_nsamples`, …) plus llm-compressor's words
//! where they fit: `mask_structure = "2:4"` (our `pattern`), `targets` and `ignore`
//! lists of `re:REGEX` / `Linear` / linear names. Flags override the file; the file
//! overrides the defaults; the merged, resolved recipe is written next to every
//! output as `recipe.toml`. Paths in a recipe are relative to the working directory,
//! as on the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Every option of `secateurs prune` (and `plan`); a recipe file holds the same keys.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// The dense checkpoint directory.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pruner: magnitude, wanda or sparsegpt.
    #[arg(long)]
    pub method: Option<String>,
    /// Fraction of each linear's weights to prune, in [0, 1).
    #[arg(long)]
    pub sparsity: Option<f64>,
    /// `unstructured` or N:M, e.g. 2:4 (recipe key `pattern` or `mask_structure`).
    #[arg(long, visible_alias = "mask-structure")]
    #[serde(alias = "mask_structure")]
    pub pattern: Option<String>,
    /// Comparison group: row, layer or column-block (default: the method's own).
    #[arg(long)]
    pub group: Option<String>,
    /// Linears to prune: re:REGEX, Linear, or names like mlp.down_proj (default: all).
    #[arg(long, num_args = 1..)]
    pub targets: Option<Vec<String>>,
    /// Linears to leave dense: re:REGEX or names.
    #[arg(long, num_args = 1..)]
    pub ignore: Option<Vec<String>>,
    /// Reconstruction: lr, br, br+gp or br+gp+cr (or br with --gp / --cr K).
    #[arg(long)]
    pub recon: Option<String>,
    /// Global propagation: train towards the dense model's own activations.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub gp: Option<bool>,
    /// Cross-block reconstruction over windows of K ≥ 2 blocks.
    #[arg(long, value_name = "K")]
    pub cr: Option<usize>,
    /// Epochs over the calibration windows (default 10).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Peak learning rate (default 2e-4, decaying linearly to 0).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Windows per optimiser step (default 8).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Calibration text sources: text files, WikiText raw, JSONL, C4 *.json.gz, Parquet,
    /// directories of them, or hub files hf:OWNER/NAME/PATH.
    #[arg(long, num_args = 1..)]
    pub calib: Option<Vec<PathBuf>>,
    /// Text field of record files (JSONL, C4 shards, Parquet) [default: text].
    #[arg(long)]
    pub text_field: Option<String>,
    /// Calibration windows [default: 128].
    #[arg(long)]
    pub nsamples: Option<usize>,
    /// Tokens per window [default: 2048].
    #[arg(long)]
    pub seqlen: Option<usize>,
    /// Seed of calibration sampling and of the training order [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Held-out text source: its first windows are measured, never trained on.
    #[arg(long)]
    pub heldout: Option<PathBuf>,
    /// Held-out windows [default: 8].
    #[arg(long)]
    pub heldout_nsamples: Option<usize>,
    /// Self-generated text (JSON Lines from `generate-calib`): one window per text
    /// joins the reconstruction data (never statistics or masks).
    #[arg(long)]
    pub self_generated: Option<PathBuf>,
    /// Generated windows to use.
    #[arg(long)]
    pub self_nsamples: Option<usize>,
    /// Keep each window's epoch with the lowest held-out error.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub early_stop: Option<bool>,
    /// When to measure errors while training: every-epoch (the learning curve) or end
    /// [default: every-epoch].
    #[arg(long)]
    pub errors_at: Option<String>,
    /// cpu, cuda or cuda:N [default: cpu].
    #[arg(long)]
    pub device: Option<String>,
    /// Where activation streams live: auto (from the memory plan), device, host or
    /// disk:<dir> [default: auto].
    #[arg(long)]
    pub streams: Option<String>,
    /// Stream storage dtype: f32 or bf16 [default: f32].
    #[arg(long)]
    pub stream_dtype: Option<String>,
    /// Sequences per forward pass (default: the batch size).
    #[arg(long)]
    pub micro_batch: Option<i64>,
    /// Mixed-precision training on CUDA (fp16 autocast with loss scaling).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub autocast: Option<bool>,
    /// Dtype of the saved checkpoint: source, f32, bf16 or f16 [default: source].
    #[arg(long)]
    pub save_dtype: Option<String>,
    /// Output directory (replaced atomically when the run succeeds).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl Recipe {
    /// The file name of the resolved recipe next to every output.
    pub const FILE: &'static str = "recipe.toml";

    /// The defaults of every option that has one.
    pub fn defaults() -> Self {
        Self {
            pattern: Some("unstructured".into()),
            recon: Some("lr".into()),
            text_field: Some("text".into()),
            nsamples: Some(128),
            seqlen: Some(2048),
            seed: Some(0),
            heldout_nsamples: Some(8),
            errors_at: Some("every-epoch".into()),
            device: Some("cpu".into()),
            streams: Some("auto".into()),
            stream_dtype: Some("f32".into()),
            save_dtype: Some("source".into()),
            ..Self::default()
        }
    }

    /// Reads a TOML recipe; unknown keys are errors that list the known ones.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => {}
            other => bail!("recipe {}: unsupported format {other:?}; expected a .toml file", path.display()),
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read recipe {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("recipe {} is not valid", path.display()))
    }

    /// `self` with every option `over` sets replaced by `over`'s value.
    pub fn overlaid(&self, over: &Self) -> anyhow::Result<Self> {
        let (mut base, over) = (serde_json::to_value(self)?, serde_json::to_value(over)?);
        if let (Some(base), Some(over)) = (base.as_object_mut(), over.as_object()) {
            for (key, value) in over.iter().filter(|(_, v)| !v.is_null()) {
                base.insert(key.clone(), value.clone());
            }
        }
        Ok(serde_json::from_value(base)?)
    }

    /// Defaults, then the recipe file (if any), then the flags.
    pub fn resolve(file: Option<&Path>, flags: &Self) -> anyhow::Result<Self> {
        let from_file = file.map(Self::read).transpose()?.unwrap_or_default();
        Self::defaults().overlaid(&from_file)?.overlaid(flags)
    }

    /// The resolved recipe as TOML.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }
}

/// A required option's value, or an error naming both the flag and the recipe key.
pub fn required<'a, T>(value: &'a Option<T>, key: &str) -> anyhow::Result<&'a T> {
    value.as_ref().with_context(|| format!("missing --{} (or `{key}` in the recipe)", key.replace('_', "-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(&dir, "a.toml", "method = \"sparsegpt\"\nsparsity = 0.5\nmask_structure = \"2:4\"\nepochs = 3\ntargets = [\"re:.*mlp.*\"]\n");
        let flags = Recipe { epochs: Some(7), ..Recipe::default() };
        let r = Recipe::resolve(Some(&path), &flags).expect("resolved");
        assert_eq!(r.method.as_deref(), Some("sparsegpt"));
        assert_eq!(r.pattern.as_deref(), Some("2:4"), "mask_structure is an alias of pattern");
        assert_eq!(r.epochs, Some(7), "the flag wins");
        assert_eq!(r.nsamples, Some(128), "the default fills the rest");
        assert_eq!(r.targets, Some(vec!["re:.*mlp.*".to_string()]));
        let again: Recipe = toml::from_str(&r.to_toml().expect("toml")).expect("round trip");
        assert_eq!(again, r);
    }

    #[test]
    fn unknown_keys_and_formats_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(&dir, "b.toml", "metod = \"wanda\"\n");
        let err = format!("{:#}", Recipe::read(&path).expect_err("unknown key"));
        assert!(err.contains("metod") && err.contains("method"), "{err}");
        let yaml = write(&dir, "c.yaml", "method: wanda\n");
        let err = format!("{:#}", Recipe::read(&yaml).expect_err("yaml"));
        assert!(err.contains("expected a .toml file"), "{err}");
        assert_eq!(required::<String>(&None, "heldout_nsamples").expect_err("missing").to_string(), "missing --heldout-nsamples (or `heldout_nsamples` in the recipe)");
    }
}
