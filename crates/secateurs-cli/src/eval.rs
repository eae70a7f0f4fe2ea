//! `secateurs eval`: perplexity under explicit protocols (presets `wikitext2`, `c4`,
//! `ptb` from the hub or a local copy, or any local text source) and zero-shot
//! multiple-choice tasks scored as lm-evaluation-harness scores them; results in
//! lm-eval's JSON layout (`results`, `versions`, `n-samples`, `config`) plus the
//! perplexity protocols, and a short table on stdout.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use secateurs_data::{TextSource, Windows, read_records};
use secateurs_eval::{Accuracy, Protocol, Question, Resident, analogy_questions, evaluate, task};
use secateurs_model::Model;
use serde_json::{Value, json};
use tch::Kind;
use tokenizers::Tokenizer;

use crate::options::{device, write_json};
use crate::windows;

/// The analogy task's default file (the fetched assets).
const ANALOGY_FILE: &str = "assets/tasks/questions-words.txt";

/// Arguments of `secateurs eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The checkpoint directory.
    #[arg(long)]
    model: PathBuf,
    /// Perplexity protocols: wikitext2, c4, ptb (optionally NAME=LOCAL_FILE), or a text
    /// source path; comma-separated or repeated.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    ppl: Vec<String>,
    /// Zero-shot tasks: boolq, rte, hellaswag, winogrande, arc_easy, arc_challenge,
    /// openbookqa, piqa, analogy — NAME reads the hub, NAME=FILE a local Parquet/JSONL
    /// file of the evaluation split.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    tasks: Vec<String>,
    /// Use at most N documents per task.
    #[arg(long)]
    limit: Option<usize>,
    /// Windows per local text source (default: all); caps presets too.
    #[arg(long)]
    windows: Option<usize>,
    /// Tokens per perplexity window (capped at the model's maximum positions).
    #[arg(long, default_value_t = 2048)]
    seqlen: usize,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = 4)]
    batch: usize,
    /// A dense checkpoint to measure per-block reconstruction errors against (the
    /// paper's metric and the local one), on the first perplexity protocol's windows.
    #[arg(long)]
    dense: Option<PathBuf>,
    /// Seed of the analogy task's choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Hugging Face hub cache directory (default: $HF_HOME/hub).
    #[arg(long)]
    hub_cache: Option<PathBuf>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Results file (JSON, lm-eval's layout).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn bar(len: usize, prefix: String, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let template = format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} (ETA {{eta}})");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
    bar.set_prefix(prefix);
    bar
}

/// Runs the command.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    if args.ppl.is_empty() && args.tasks.is_empty() {
        bail!("nothing to evaluate: pass --ppl and/or --tasks");
    }
    let model = Model::open(&args.model, Kind::Float, device(&args.device)?).with_context(|| format!("cannot open model {}", args.model.display()))?;
    let tokenizer = model.checkpoint.tokenizer.as_ref().with_context(|| format!("{} has no tokenizer.json", args.model.display()))?;
    let max_positions = model.checkpoint.config.max_position_embeddings.unwrap_or(usize::MAX);
    let resident = Resident::load(&model)?;
    let (mut results, mut versions, mut samples, mut protocols) = (serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new());
    let mut table = vec![("task".to_owned(), "metric".to_owned(), "value".to_owned(), "stderr".to_owned())];
    let mut first_windows: Option<Windows> = None;
    if args.dense.is_some() && args.ppl.is_empty() {
        bail!("--dense measures errors on the first --ppl protocol's windows: pass --ppl too");
    }

    for spec in &args.ppl {
        let started = Instant::now();
        let (name, local) = spec.split_once('=').map_or((spec.as_str(), None), |(n, p)| (n, Some(p)));
        let mut protocol = match Protocol::preset(name) {
            Some(p) => p,
            None if local.is_none() => Protocol::local(spec, args.windows),
            None => bail!("unknown perplexity preset '{name}'; expected one of: {} (or a text source path)", secateurs_eval::PRESETS.join(", ")),
        };
        if let Some(path) = local {
            protocol.source = path.to_owned();
        }
        if let (Some(cap), Some(_)) = (args.windows, Protocol::preset(name)) {
            protocol.max_windows = Some(protocol.max_windows.map_or(cap, |m| m.min(cap)));
        }
        let seqlen = args.seqlen.min(max_positions);
        let w = protocol_windows(args, &protocol, tokenizer, seqlen)?;
        let progress = bar(w.len(), format!("ppl {}", protocol.name), "windows");
        let nll = secateurs_eval::window_nll(&resident, &windows::tensor(&w), args.batch as i64, &mut |done, _| progress.set_position(done as u64));
        progress.finish_and_clear();
        eprintln!("{}: {} windows x {seqlen} tokens, {:.1} s", protocol.name, w.len(), started.elapsed().as_secs_f64());
        table.push((protocol.name.clone(), "ppl".into(), format!("{:.4}", nll.perplexity()), "-".into()));
        results.insert(protocol.name.clone(), json!({ "alias": protocol.name, "perplexity,none": nll.perplexity(), "nll,none": nll.mean(), "predicted_tokens": nll.tokens }));
        protocols.insert(protocol.name.clone(), json!({ "protocol": protocol, "windows": w.len(), "seqlen": seqlen, "bos": false, "fingerprint": w.fingerprint() }));
        first_windows.get_or_insert(w);
    }

    let mut errors = Value::Null;
    if let (Some(dense_dir), Some(w)) = (&args.dense, &first_windows) {
        let dense = Model::open(dense_dir, Kind::Float, model.device()).with_context(|| format!("cannot open dense model {}", dense_dir.display()))?;
        let per_block = secateurs_eval::block_errors(&dense, &model, &windows::tensor(w), args.batch as i64)?;
        if let Some(last) = per_block.last() {
            table.push(("recon error".into(), format!("block {}", last.block), format!("{:.4e}", last.global), format!("local {:.2e}", last.local)));
        }
        errors = json!({ "dense": dense_dir, "windows": w.fingerprint(), "blocks": per_block });
    }

    for spec in &args.tasks {
        let started = Instant::now();
        let (name, local) = spec.split_once('=').map_or((spec.as_str(), None), |(n, p)| (n, Some(p)));
        let (questions, version, original) = task_questions(args, name, local)?;
        let progress = bar(questions.iter().map(|q| q.requests.len()).sum(), format!("task {name}"), "requests");
        let accuracy: Accuracy = evaluate(&resident, tokenizer, &questions, args.batch, max_positions.min(4096), &mut |done, _| progress.set_position(done as u64))?;
        progress.finish_and_clear();
        eprintln!("{name}: {} questions, {:.1} s", accuracy.n, started.elapsed().as_secs_f64());
        table.push((name.to_owned(), "acc".into(), format!("{:.4}", accuracy.acc), format!("{:.4}", accuracy.acc_stderr)));
        let mut entry = json!({ "alias": name, "acc,none": accuracy.acc, "acc_stderr,none": accuracy.acc_stderr });
        let reports_norm = task(name).map(|t| t.acc_norm).unwrap_or(false);
        if reports_norm {
            table.push((name.to_owned(), "acc_norm".into(), format!("{:.4}", accuracy.acc_norm), format!("{:.4}", accuracy.acc_norm_stderr)));
            entry["acc_norm,none"] = json!(accuracy.acc_norm);
            entry["acc_norm_stderr,none"] = json!(accuracy.acc_norm_stderr);
        }
        results.insert(name.to_owned(), entry);
        versions.insert(name.to_owned(), json!(version));
        samples.insert(name.to_owned(), json!({ "original": original, "effective": accuracy.n }));
    }

    for (task, metric, value, stderr) in &table {
        println!("{task:<16} {metric:<10} {value:>10} {stderr:>10}");
    }
    if let Some(out) = &args.out {
        let record = json!({
            "results": results,
            "versions": versions,
            "n-samples": samples,
            "config": { "model": "secateurs", "model_args": format!("pretrained={}", args.model.display()), "batch_size": args.batch, "device": args.device, "limit": args.limit, "seed": args.seed },
            "perplexity_protocols": protocols,
            "reconstruction_error": errors,
            "secateurs_version": env!("CARGO_PKG_VERSION"),
            "git_commit": env!("SECATEURS_GIT_COMMIT"),
        });
        write_json(out, &record)?;
    }
    Ok(())
}

/// The windows a protocol prescribes.
fn protocol_windows(args: &EvalArgs, protocol: &Protocol, tokenizer: &Tokenizer, seqlen: usize) -> anyhow::Result<Windows> {
    let path = windows::local_path(&protocol.source, args.hub_cache.as_deref())?;
    let mut source = TextSource::open_field(&path, &protocol.field)?;
    if let Some(rows) = protocol.max_rows {
        source.documents.truncate(rows);
    }
    let stream = source.tokenize_stream(tokenizer, &protocol.joiner)?;
    let count = protocol.windows(stream.len(), seqlen);
    if count == 0 {
        bail!("{} has {} tokens: not one window of {seqlen}", protocol.source, stream.len());
    }
    Ok(Windows::contiguous(&stream, seqlen, count, &format!("{}:{}", protocol.name, source.name))?)
}

/// A task's questions, its version and its document count.
fn task_questions(args: &EvalArgs, name: &str, local: Option<&str>) -> anyhow::Result<(Vec<Question>, f64, usize)> {
    if name == "analogy" {
        let path = Path::new(local.unwrap_or(ANALOGY_FILE));
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the analogy questions {} (run `cargo xtask fetch`, or pass analogy=FILE)", path.display()))?;
        let questions = analogy_questions(&text, args.limit, args.seed)?;
        let original = text.lines().filter(|l| !l.starts_with(':') && !l.trim().is_empty()).count();
        return Ok((questions, 1.0, original));
    }
    let task = task(name)?;
    let path = match local {
        Some(path) => PathBuf::from(path),
        None => windows::local_path(&format!("hf:{}/{}", task.repo, task.file), args.hub_cache.as_deref())?,
    };
    let rows: Vec<Value> = read_records(&path)?;
    Ok((task.questions(&rows, args.limit)?, task.version, rows.len()))
}
