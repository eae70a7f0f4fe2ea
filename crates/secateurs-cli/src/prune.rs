//! `secateurs prune`: prune a checkpoint and reconstruct it, writing a Hugging Face
//! checkpoint plus `sparsity.json` and `run.json` — all into a staging directory
//! that is renamed to `--out` only once everything is written.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use secateurs_model::{Block, Libtorch, Model};
use secateurs_recon::{Data, Job, Placement, Propagation, ReconConfig, StreamOptions, memory};
use secateurs_sparse::SparsitySpec;
use serde_json::json;
use tch::Kind;

use crate::options::{device, kind, kind_name, write_json};
use crate::progress::Bars;
use crate::windows;

/// Arguments of `secateurs prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// The dense checkpoint directory.
    #[arg(long)]
    model: PathBuf,
    /// Pruner: magnitude, wanda or sparsegpt.
    #[arg(long)]
    method: String,
    /// Fraction of each linear's weights to prune, in [0, 1).
    #[arg(long)]
    sparsity: String,
    /// `unstructured` or N:M (e.g. 2:4).
    #[arg(long, default_value = "unstructured")]
    pattern: String,
    /// Comparison group: row, layer or column-block (default: the method's own).
    #[arg(long)]
    group: Option<String>,
    /// Reconstruction: lr (the pruner alone) or br (block-wise).
    #[arg(long, default_value = "lr")]
    recon: String,
    /// Global propagation: train towards the dense model's own activations.
    #[arg(long)]
    gp: bool,
    /// Cross-block reconstruction over windows of K ≥ 2 blocks.
    #[arg(long, value_name = "K")]
    cr: Option<usize>,
    /// Epochs over the calibration windows (default 10).
    #[arg(long)]
    epochs: Option<usize>,
    /// Peak learning rate (default 2e-4, decaying linearly to 0).
    #[arg(long)]
    lr: Option<f64>,
    /// Windows per optimiser step (default 8).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Calibration text sources: text files, WikiText raw, JSONL, C4 *.json.gz, Parquet,
    /// directories of them, or hub files hf:OWNER/NAME/PATH.
    #[arg(long, required = true, num_args = 1..)]
    calib: Vec<PathBuf>,
    /// Text field of record files (JSONL, C4 shards, Parquet) in --calib and --heldout.
    #[arg(long, default_value = "text")]
    text_field: String,
    /// Calibration windows.
    #[arg(long, default_value_t = 128)]
    nsamples: usize,
    /// Tokens per window.
    #[arg(long, default_value_t = 2048)]
    seqlen: usize,
    /// Seed of calibration sampling and of the training order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Held-out text source: its first windows are measured, never trained on.
    #[arg(long)]
    heldout: Option<PathBuf>,
    /// Held-out windows.
    #[arg(long, default_value_t = 8)]
    heldout_nsamples: usize,
    /// Self-generated text (JSON Lines from `generate-calib`): one window per text
    /// joins the reconstruction data (never statistics or masks).
    #[arg(long)]
    self_generated: Option<PathBuf>,
    /// Generated windows to use.
    #[arg(long, default_value_t = 0)]
    self_nsamples: usize,
    /// Keep each window's epoch with the lowest held-out error.
    #[arg(long)]
    early_stop: bool,
    /// When to measure reconstruction errors while training: every-epoch (the
    /// learning curve in run.json) or end (faster).
    #[arg(long, default_value = "every-epoch")]
    errors_at: String,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Where activation streams live: device, host or disk:<dir>.
    #[arg(long, default_value = "device")]
    streams: String,
    /// Stream storage dtype: f32 or bf16.
    #[arg(long, default_value = "f32")]
    stream_dtype: String,
    /// Sequences per forward pass (default: the batch size).
    #[arg(long)]
    micro_batch: Option<i64>,
    /// Mixed-precision training on CUDA (fp16 autocast with loss scaling).
    #[arg(long)]
    autocast: bool,
    /// Dtype of the saved checkpoint: source, f32, bf16 or f16.
    #[arg(long, default_value = "source")]
    save_dtype: String,
    /// Output directory (replaced atomically when the run succeeds).
    #[arg(long)]
    out: PathBuf,
}

impl PruneArgs {
    /// The reconstruction configuration the flags describe.
    fn recon(&self) -> anyhow::Result<ReconConfig> {
        let mut recon = match self.recon.to_ascii_lowercase().as_str() {
            "lr" | "br" => ReconConfig::preset(&self.recon)?,
            other => bail!("unknown --recon '{other}'; expected one of: lr, br (add --gp and --cr K for the others)"),
        };
        let trains = recon.epochs > 0;
        if !trains && (self.gp || self.cr.is_some() || self.early_stop) {
            bail!("--gp, --cr and --early-stop change how blocks are trained; they need --recon br");
        }
        if self.gp {
            recon.propagation = Propagation::Global;
        }
        if let Some(k) = self.cr {
            if k < 2 {
                bail!("--cr {k}: cross-block windows hold at least 2 blocks");
            }
            recon.window = k;
        }
        if trains {
            recon.epochs = self.epochs.unwrap_or(recon.epochs);
            recon.lr = self.lr.unwrap_or(recon.lr);
            recon.batch_size = self.batch_size.unwrap_or(recon.batch_size);
        }
        recon.early_stop = self.early_stop;
        recon.errors_every_epoch = match self.errors_at.as_str() {
            "every-epoch" => true,
            "end" => false,
            other => bail!("unknown --errors-at '{other}'; expected one of: every-epoch, end"),
        };
        recon.seed = self.seed;
        Ok(recon)
    }
}

/// Runs the command.
pub fn run(args: &PruneArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let device = device(&args.device)?;
    let method = secateurs_sparse::method(&args.method)?;
    let group = args.group.clone().unwrap_or_else(|| method.default_group().name().to_owned());
    let spec = SparsitySpec::parse(&args.sparsity, &args.pattern, &group)?;
    if !method.groups.contains(&spec.group) {
        let allowed: Vec<&str> = method.groups.iter().map(|g| g.name()).collect();
        bail!("{} does not support group '{group}'; expected one of: {}", method.name, allowed.join(", "));
    }
    let recon = args.recon()?;
    let placement = Placement::parse(&args.streams)?;
    let stream_kind = kind(&args.stream_dtype)?;
    if stream_kind == Kind::Half {
        bail!("--stream-dtype f16 overflows on large activations; expected one of: f32, bf16");
    }
    let micro_batch = args.micro_batch.unwrap_or(recon.batch_size as i64);

    let model = Model::open(&args.model, Kind::Float, device).with_context(|| format!("cannot open model {}", args.model.display()))?;
    let save_kind = if args.save_dtype == "source" { model.checkpoint.stored_kind() } else { kind(&args.save_dtype)? };
    let tokenizer = model.checkpoint.tokenizer.as_ref().with_context(|| format!("{} has no tokenizer.json", args.model.display()))?;
    eprintln!("reading calibration text …");
    let heldout_tokens = args.heldout_nsamples * args.seqlen;
    let calib = windows::sampled(tokenizer, &args.calib, &args.text_field, args.nsamples, args.seqlen, args.seed, args.heldout.as_deref().map(|h| (h, heldout_tokens)))?;
    let heldout = args.heldout.as_deref().map(|h| windows::contiguous(tokenizer, h, &args.text_field, args.heldout_nsamples, args.seqlen)).transpose()?;
    let generated = match &args.self_generated {
        Some(path) if recon.epochs > 0 && args.self_nsamples > 0 => Some(windows::generated(tokenizer, path, args.self_nsamples, args.seqlen, args.seed)?),
        Some(_) => bail!("--self-generated needs --recon br and --self-nsamples N > 0 (generated text is only used for reconstruction)"),
        None => None,
    };
    let model_fingerprint = model.checkpoint.fingerprint()?;

    let job = Job { model: &model, method, spec, recon: recon.clone(), streams: StreamOptions { placement: placement.clone(), kind: stream_kind, micro_batch }, autocast: args.autocast };
    let estimate = memory::estimate(&model.arch, &recon, calib.len() as i64, heldout.as_ref().map_or(0, |h| h.len() as i64), args.seqlen as i64, stream_kind, micro_batch);
    eprintln!(
        "pruning {} with {} at {} ({}), {}: {} blocks, {} calibration windows x {} tokens{}; estimated peak {:.2} GB",
        args.model.display(),
        method.name,
        spec.sparsity,
        spec.pattern.name(),
        recon.name(),
        model.num_blocks(),
        calib.len(),
        args.seqlen,
        heldout.as_ref().map(|h| format!(", {} held-out", h.len())).unwrap_or_default(),
        estimate.total() as f64 / 1e9
    );

    let calib_ids = windows::tensor(&calib);
    let heldout_ids = heldout.as_ref().map(windows::tensor);
    let generated_ids = generated.as_ref().map(windows::tensor);
    let data = Data { calib: &calib_ids, heldout: heldout_ids.as_ref(), generated: generated_ids.as_ref() };
    let mut finished: Vec<Option<Block>> = Vec::new();
    let mut bars = Bars::new(model.num_blocks());
    let report = secateurs_recon::run(&job, &data, &mut bars, &mut |mut block| {
        block.to_device(tch::Device::Cpu);
        finished.push(Some(block));
        Ok(())
    })?;
    drop(bars);

    let staging = args.out.with_extension("staging");
    model.save(&staging, save_kind, 2 << 30, |i| {
        finished.get_mut(i).and_then(Option::take).ok_or_else(|| secateurs_model::Error::Tensor { name: format!("block {i}"), message: "was not produced by the run".into() })
    })?;
    let linears: Vec<_> = report.blocks.iter().flat_map(|b| b.linears.iter()).collect();
    let (zeros, total) = linears.iter().fold((0.0, 0.0), |(z, t), l| {
        let n = (l.shape[0] * l.shape[1]) as f64;
        (z + l.sparsity * n, t + n)
    });
    write_json(
        &staging.join("sparsity.json"),
        &json!({
            "method": method.name,
            "requested": { "sparsity": spec.sparsity, "pattern": spec.pattern.name(), "group": spec.group.name() },
            "measured": { "sparsity": zeros / total, "linears": linears },
        }),
    )?;
    let peak_rss = memory::peak_rss_bytes();
    write_json(
        &staging.join("run.json"),
        &json!({
            "command": std::env::args().collect::<Vec<_>>(),
            "versions": {
                "secateurs": env!("CARGO_PKG_VERSION"),
                "git_commit": env!("SECATEURS_GIT_COMMIT"),
                "libtorch": Libtorch::detect().summary(),
            },
            "config": {
                "model": args.model, "method": method.name,
                "sparsity": spec.sparsity, "pattern": spec.pattern.name(), "group": spec.group.name(),
                "recon": recon.name(), "window": recon.window, "propagation": format!("{:?}", recon.propagation).to_lowercase(),
                "epochs": recon.epochs, "lr": recon.lr, "betas": [recon.betas.0, recon.betas.1], "eps": recon.eps,
                "weight_decay": recon.weight_decay, "batch_size": recon.batch_size, "early_stop": recon.early_stop,
                "errors_every_epoch": recon.errors_every_epoch, "seed": args.seed,
                "calib": args.calib, "text_field": args.text_field, "nsamples": calib.len(), "seqlen": args.seqlen,
                "heldout": args.heldout, "heldout_nsamples": heldout.as_ref().map(|h| h.len()),
                "self_generated": args.self_generated, "self_nsamples": generated.as_ref().map(|g| g.len()),
                "device": args.device, "streams": placement.name(), "stream_dtype": kind_name(stream_kind), "micro_batch": micro_batch,
                "autocast": args.autocast, "save_dtype": kind_name(save_kind),
            },
            "fingerprints": { "model": model_fingerprint, "calib": calib.fingerprint(), "heldout": heldout.as_ref().map(|h| h.fingerprint()), "self_generated": generated.as_ref().map(|g| g.fingerprint()) },
            "blocks": report.blocks,
            "windows": report.windows,
            "memory": { "peak_rss_bytes": peak_rss, "estimated_peak_bytes": estimate.total(), "stream_bytes": report.stream_bytes },
            "seconds": { "recon": report.seconds, "total": started.elapsed().as_secs_f64() },
        }),
    )?;
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out).with_context(|| format!("cannot replace {}", args.out.display()))?;
    }
    std::fs::rename(&staging, &args.out).with_context(|| format!("cannot move {} to {}", staging.display(), args.out.display()))?;
    let last = report.blocks.last();
    println!(
        "wrote {} — sparsity {:.4}, final-block error {}, {:.1} s, peak RSS {}",
        args.out.display(),
        zeros / total,
        last.map(|b| format!("{:.4e}{}", b.error.calib, b.error.heldout.map(|h| format!(" (held-out {h:.4e})")).unwrap_or_default())).unwrap_or_default(),
        started.elapsed().as_secs_f64(),
        peak_rss.map_or("?".into(), |b| format!("{:.2} GB", b as f64 / 1e9)),
    );
    Ok(())
}
