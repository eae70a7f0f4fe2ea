//! `secateurs generate-calib`: calibration text written by the dense model itself
//! (PAPER.md §4), as JSON Lines — one row per text with its token ids and provenance
//! (model fingerprint, seed, settings) — written atomically, with progress (texts,
//! tokens/s, rejected share).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use secateurs_data::{SelfGenConfig, generate_texts};
use secateurs_model::Model;
use serde_json::json;
use tch::Kind;

use crate::options::device;

/// Arguments of `secateurs generate-calib`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The dense checkpoint directory.
    #[arg(long)]
    model: PathBuf,
    /// Texts to keep.
    #[arg(long)]
    count: usize,
    /// Maximum tokens per text.
    #[arg(long, default_value_t = 2048)]
    max_len: usize,
    /// Sequences generated together.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Seed (first tokens and sampling).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Top-k (0 = all).
    #[arg(long, default_value_t = 50)]
    top_k: i64,
    /// Top-p (1 = all).
    #[arg(long, default_value_t = 1.0)]
    top_p: f64,
    /// Reject texts shorter than this many tokens.
    #[arg(long)]
    min_len: Option<usize>,
    /// Reject texts whose share of repeated 4-grams exceeds this (e.g. 0.3).
    #[arg(long)]
    max_repeated_4grams: Option<f64>,
    /// Reject texts that look like source code.
    #[arg(long)]
    reject_code: bool,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Output file (JSON Lines).
    #[arg(long)]
    out: PathBuf,
}

/// Runs the command.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let model = Model::open(&args.model, Kind::Float, device(&args.device)?).with_context(|| format!("cannot open model {}", args.model.display()))?;
    let tokenizer = model.checkpoint.tokenizer.as_ref().with_context(|| format!("{} has no tokenizer.json", args.model.display()))?;
    let config = SelfGenConfig {
        count: args.count,
        max_len: args.max_len,
        batch: args.batch,
        seed: args.seed,
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        min_len: args.min_len,
        max_repeated_4grams: args.max_repeated_4grams,
        reject_code: args.reject_code,
        ..SelfGenConfig::paper(args.count, args.max_len)
    };
    let fingerprint = model.checkpoint.fingerprint()?;
    let bar = ProgressBar::new(args.count as u64);
    bar.set_style(ProgressStyle::with_template("texts [{bar:30}] {pos}/{len} {msg} (ETA {eta})").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
    let (texts, stats) = generate_texts(&model, tokenizer, &config, &mut |kept, s| {
        bar.set_position(kept as u64);
        bar.set_message(format!("{:.1} tokens/s, rejected {:.0}%", s.sampled_tokens as f64 / s.sampling_seconds.max(1e-9), 100.0 * s.rejected_share()));
    })?;
    bar.finish_and_clear();

    let partial = args.out.with_extension("jsonl.partial");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?);
    let provenance = json!({ "model": args.model, "model_fingerprint": fingerprint, "settings": config, "secateurs": env!("CARGO_PKG_VERSION") });
    for text in &texts {
        writeln!(file, "{}", json!({ "text": text.text, "ids": text.ids, "index": text.index, "provenance": provenance }))?;
    }
    file.flush()?;
    drop(file);
    std::fs::rename(&partial, &args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    let tokens: usize = texts.iter().map(|t| t.ids.len()).sum();
    println!(
        "wrote {} texts ({tokens} tokens) to {}: {:.1} tokens/s sampling, {} prefixes drawn, {} not English, {} filtered (rejected share {:.1}%), {:.1} s",
        texts.len(),
        args.out.display(),
        stats.sampled_tokens as f64 / stats.sampling_seconds.max(1e-9),
        stats.prefixes,
        stats.rejected_language,
        stats.rejected_filters,
        100.0 * stats.rejected_share(),
        stats.seconds
    );
    eprintln!("{}", serde_json::to_string(&json!({ "stats": stats }))?);
    Ok(())
}
