//! `secateurs eval`: perplexity of a checkpoint on text sources — the first `N`
//! non-overlapping windows of each source's token stream (no BOS; each window an
//! independent sequence), ppl = exp(mean NLL over every predicted token).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use secateurs_model::Model;
use serde_json::json;
use tch::Kind;

use crate::options::{device, write_json};
use crate::windows;

/// Arguments of `secateurs eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The checkpoint directory.
    #[arg(long)]
    model: PathBuf,
    /// Text sources to measure perplexity on.
    #[arg(long, required = true, num_args = 1..)]
    ppl: Vec<PathBuf>,
    /// Windows per source.
    #[arg(long, default_value_t = 32)]
    windows: usize,
    /// Tokens per window (capped at the model's maximum positions).
    #[arg(long, default_value_t = 2048)]
    seqlen: usize,
    /// Windows per forward pass.
    #[arg(long, default_value_t = 4)]
    batch: i64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Results file (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let model = Model::open(&args.model, Kind::Float, device(&args.device)?).with_context(|| format!("cannot open model {}", args.model.display()))?;
    let tokenizer = model.checkpoint.tokenizer.as_ref().with_context(|| format!("{} has no tokenizer.json", args.model.display()))?;
    let max_positions = model.checkpoint.config.max_position_embeddings.unwrap_or(usize::MAX);
    let seqlen = args.seqlen.min(max_positions);
    let mut results = serde_json::Map::new();
    for source in &args.ppl {
        let started = Instant::now();
        let w = windows::contiguous(tokenizer, source, args.windows, seqlen)?;
        let bar = ProgressBar::new(w.len() as u64);
        bar.set_style(ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} windows (ETA {eta})").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
        bar.set_prefix(source.display().to_string());
        let nll = secateurs_eval::window_nll(&model, &windows::tensor(&w), args.batch, &mut |done, _| bar.set_position(done as u64))?;
        bar.finish_and_clear();
        let name = source.file_stem().map_or_else(|| source.display().to_string(), |s| s.to_string_lossy().into_owned());
        println!("{name:<12} ppl {:>9.3}  ({} windows x {seqlen} tokens, {} predicted, {:.1} s)", nll.perplexity(), w.len(), nll.tokens, started.elapsed().as_secs_f64());
        results.insert(
            name,
            json!({
                "ppl": nll.perplexity(), "mean_nll": nll.mean(), "predicted_tokens": nll.tokens,
                "protocol": { "source": source, "windows": w.len(), "seqlen": seqlen, "bos": false, "overlap": 0, "fingerprint": w.fingerprint() },
            }),
        );
    }
    if let Some(out) = &args.out {
        write_json(out, &json!({ "model": args.model, "results": results }))?;
    }
    Ok(())
}
