//! `secateurs inspect DIR`: what a checkpoint holds, read from its config and the
//! safetensors headers (no weight is loaded).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use secateurs_model::Checkpoint;

/// Prints a summary of the checkpoint at `dir`.
pub fn run(dir: &Path) -> anyhow::Result<()> {
    let ckpt = Checkpoint::open(dir).with_context(|| format!("cannot open checkpoint {}", dir.display()))?;
    let c = &ckpt.config;
    let architectures = c.extra.get("architectures").and_then(|a| a.get(0)).and_then(|a| a.as_str());
    println!("checkpoint   {}", dir.display());
    println!("model_type   {}{}", c.model_type, architectures.map(|a| format!(" ({a})")).unwrap_or_default());
    println!(
        "shape        {} blocks, hidden {}, {} heads ({} key/value, head_dim {}), vocab {}, max positions {}",
        c.num_hidden_layers,
        c.hidden_size,
        c.num_attention_heads,
        c.kv_heads(),
        c.head_dim(),
        c.vocab_size,
        c.max_position_embeddings.map_or("?".into(), |p| p.to_string()),
    );
    let w = &ckpt.weights;
    let files: BTreeSet<_> = w.iter().map(|(_, info)| info.file.clone()).collect();
    let bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let dtypes: Vec<String> = w.dtypes().iter().map(|(d, n)| format!("{d:?} x{n}")).collect();
    println!(
        "weights      {} tensors, {:.1}M parameters, {}, {} file(s), {:.1} MB",
        w.len(),
        w.num_params() as f64 / 1e6,
        dtypes.join(", "),
        files.len(),
        bytes as f64 / 1e6
    );
    println!("tied head    {}", c.tie_word_embeddings.unwrap_or(false));
    match &ckpt.tokenizer {
        Some(t) => println!("tokenizer    {} tokens", t.get_vocab_size(true)),
        None => println!("tokenizer    none (no tokenizer.json)"),
    }
    let block0: Vec<_> = w.iter().filter(|(name, _)| is_block_zero(name)).collect();
    println!("block 0      {} tensors:", block0.len());
    for (name, info) in block0 {
        println!("  {name:<48} {:?} {:?}", info.dtype, info.shape);
    }
    Ok(())
}

/// Whether a tensor name belongs to the first decoder block in the common layouts
/// (`model.layers.0.`, `transformer.h.0.`, `model.decoder.layers.0.`, `gpt_neox.layers.0.`).
fn is_block_zero(name: &str) -> bool {
    [".layers.0.", ".h.0."].iter().any(|marker| name.contains(marker))
}
