//! `secateurs prune [RECIPE]`: prune a checkpoint and reconstruct it, writing a
//! Hugging Face checkpoint plus `sparsity.json`, `run.json`, `recipe.toml` (the
//! resolved recipe), `report.md` and its SVG figures — all into a staging directory
//! that is renamed to `--out` only once everything is written. The driver keeps a
//! resumable state in `<out>.resume/` after every block; `--resume` continues a
//! killed run from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use secateurs_model::{Block, Libtorch, Model};
use secateurs_recon::{Data, Job, Resume, Selection, StreamOptions, memory};
use secateurs_records::{Fingerprints, MemoryRecord, RunConfig, RunRecord, Seconds, Versions};
use serde_json::json;
use tch::Kind;

use crate::options::{kind, kind_name, write_json};
use crate::plan::Plan;
use crate::progress::Bars;
use crate::recipe::{Recipe, required};
use crate::windows;

/// Arguments of `secateurs prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// A TOML recipe with any of the options below (flags override it).
    recipe_file: Option<PathBuf>,
    #[command(flatten)]
    recipe: Recipe,
    /// Continue an interrupted run from `<out>.resume/` (same recipe, model and data).
    #[arg(long)]
    resume: bool,
}

/// Runs the command.
pub fn run(args: &PruneArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let recipe = Recipe::resolve(args.recipe_file.as_deref(), &args.recipe)?;
    let out = required(&recipe.out, "out")?.clone();
    let plan = Plan::new(&recipe)?;
    let calib_sources = required(&recipe.calib, "calib")?;
    let text_field = required(&recipe.text_field, "text_field")?;
    let (nsamples, seqlen, seed) = (*required(&recipe.nsamples, "nsamples")?, plan.seqlen, *required(&recipe.seed, "seed")?);
    let heldout_nsamples = *required(&recipe.heldout_nsamples, "heldout_nsamples")?;
    let selection = Selection::new(recipe.targets.as_deref().unwrap_or_default(), recipe.ignore.as_deref().unwrap_or_default())?;
    let save_dtype = required(&recipe.save_dtype, "save_dtype")?;

    let model = Model::open(&plan.model_dir, Kind::Float, plan.device).with_context(|| format!("cannot open model {}", plan.model_dir.display()))?;
    let save_kind = if save_dtype == "source" { model.checkpoint.stored_kind() } else { kind(save_dtype)? };
    let tokenizer = model.checkpoint.tokenizer.as_ref().with_context(|| format!("{} has no tokenizer.json", plan.model_dir.display()))?;
    eprintln!("reading calibration text …");
    let heldout_tokens = heldout_nsamples * seqlen;
    let calib = windows::sampled(tokenizer, calib_sources, text_field, nsamples, seqlen, seed, recipe.heldout.as_deref().map(|h| (h, heldout_tokens)))?;
    let heldout = recipe.heldout.as_deref().map(|h| windows::contiguous(tokenizer, h, text_field, heldout_nsamples, seqlen)).transpose()?;
    let generated = match (&recipe.self_generated, recipe.self_nsamples) {
        (Some(path), Some(n)) if plan.recon.epochs > 0 && n > 0 => Some(windows::generated(tokenizer, path, n, seqlen, seed)?),
        (Some(_), _) => bail!("--self-generated needs --recon br and --self-nsamples N > 0 (generated text is only used for reconstruction)"),
        (None, _) => None,
    };
    let fingerprints = Fingerprints {
        model: model.checkpoint.fingerprint()?,
        calib: calib.fingerprint().to_owned(),
        heldout: heldout.as_ref().map(|h| h.fingerprint().to_owned()),
        self_generated: generated.as_ref().map(|g| g.fingerprint().to_owned()),
    };
    let estimate = plan.estimate(calib.len() as i64 + generated.as_ref().map_or(0, |g| g.len() as i64), heldout.as_ref().map_or(0, |h| h.len() as i64));
    let placement = plan.placement(&estimate, &out.with_extension("streams"));
    let config = run_config(&recipe, &plan, &placement.name(), calib.len(), heldout.as_ref().map(|h| h.len()), generated.as_ref().map(|g| g.len()), kind_name(save_kind))?;
    let resume = Resume { dir: out.with_extension("resume"), key: resume_key(&config, &fingerprints)?, continue_run: args.resume };

    let job = Job {
        model: &model,
        method: plan.method,
        spec: plan.spec,
        recon: plan.recon.clone(),
        streams: StreamOptions { placement: placement.clone(), kind: plan.stream_kind, micro_batch: plan.micro_batch },
        autocast: recipe.autocast.unwrap_or(false),
        selection,
        resume: Some(resume.clone()),
    };
    eprintln!(
        "pruning {} with {} at {} ({}), {}: {} blocks, {} calibration windows x {seqlen} tokens{}; estimated peak {:.2} GB, streams on {}",
        plan.model_dir.display(),
        plan.method.name,
        plan.spec.sparsity,
        plan.spec.pattern.name(),
        plan.recon.name(),
        model.num_blocks(),
        calib.len(),
        heldout.as_ref().map(|h| format!(", {} held-out", h.len())).unwrap_or_default(),
        estimate.total() as f64 / 1e9,
        placement.name(),
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

    let record = RunRecord {
        command: std::env::args().collect(),
        versions: Versions { secateurs: env!("CARGO_PKG_VERSION").into(), git_commit: env!("SECATEURS_GIT_COMMIT").into(), libtorch: Libtorch::detect().summary() },
        config,
        fingerprints,
        blocks: report.blocks,
        windows: report.windows,
        memory: MemoryRecord { peak_rss_bytes: memory::peak_rss_bytes(), estimated_peak_bytes: estimate.total(), stream_bytes: report.stream_bytes },
        seconds: Seconds { recon: report.seconds, total: 0.0 },
    };
    let staging = out.with_extension("staging");
    model.save(&staging, save_kind, 2 << 30, |i| {
        finished.get_mut(i).and_then(Option::take).ok_or_else(|| secateurs_model::Error::Tensor { name: format!("block {i}"), message: "was not produced by the run".into() })
    })?;
    let written = write_records(&staging, record, &recipe, started).and_then(|record| {
        if out.exists() {
            std::fs::remove_dir_all(&out).with_context(|| format!("cannot replace {}", out.display()))?;
        }
        std::fs::rename(&staging, &out).with_context(|| format!("cannot move {} to {}", staging.display(), out.display()))?;
        Ok(record)
    });
    let record = match written {
        Ok(record) => record,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(err);
        }
    };
    resume.remove()?;
    let last = record.last_block();
    println!(
        "wrote {} — sparsity {:.4}, final-block error {}, {:.1} s, peak RSS {}",
        out.display(),
        record.measured_sparsity(),
        last.map(|b| format!("{:.4e}{}", b.error.calib, b.error.heldout.map(|h| format!(" (held-out {h:.4e})")).unwrap_or_default())).unwrap_or_default(),
        record.seconds.total,
        record.memory.peak_rss_bytes.map_or("?".into(), |b| format!("{:.2} GB", b as f64 / 1e9)),
    );
    println!("report: {}", out.join(secateurs_records::report::REPORT_FILE).display());
    Ok(())
}

/// Writes sparsity.json, run.json, recipe.toml and the report into `dir`.
fn write_records(dir: &Path, mut record: RunRecord, recipe: &Recipe, started: Instant) -> anyhow::Result<RunRecord> {
    let linears: Vec<_> = record.blocks.iter().flat_map(|b| b.linears.iter()).collect();
    let c = &record.config;
    write_json(
        &dir.join("sparsity.json"),
        &json!({
            "method": c.method,
            "requested": { "sparsity": c.sparsity, "pattern": c.pattern, "group": c.group, "targets": c.targets, "ignore": c.ignore },
            "measured": { "sparsity": record.measured_sparsity(), "linears": linears },
        }),
    )?;
    let recipe_path = dir.join(Recipe::FILE);
    std::fs::write(&recipe_path, recipe.to_toml()?).with_context(|| format!("cannot write {}", recipe_path.display()))?;
    record.seconds.total = started.elapsed().as_secs_f64();
    write_json(&dir.join(RunRecord::FILE), &record)?;
    secateurs_records::report::write_run_report(dir, &record)?;
    Ok(record)
}

/// The resolved configuration, as run.json records it.
fn run_config(recipe: &Recipe, plan: &Plan, streams: &str, nsamples: usize, heldout: Option<usize>, generated: Option<usize>, save_dtype: &str) -> anyhow::Result<RunConfig> {
    let r = &plan.recon;
    Ok(RunConfig {
        model: plan.model_dir.clone(),
        method: plan.method.name.into(),
        sparsity: plan.spec.sparsity,
        pattern: plan.spec.pattern.name(),
        group: plan.spec.group.name().into(),
        targets: recipe.targets.clone().unwrap_or_default(),
        ignore: recipe.ignore.clone().unwrap_or_default(),
        recon: r.name(),
        window: r.window,
        propagation: format!("{:?}", r.propagation).to_lowercase(),
        epochs: r.epochs,
        lr: r.lr,
        betas: [r.betas.0, r.betas.1],
        eps: r.eps,
        weight_decay: r.weight_decay,
        batch_size: r.batch_size,
        early_stop: r.early_stop,
        errors_every_epoch: r.errors_every_epoch,
        seed: r.seed,
        calib: required(&recipe.calib, "calib")?.clone(),
        text_field: required(&recipe.text_field, "text_field")?.clone(),
        nsamples,
        seqlen: plan.seqlen,
        heldout: recipe.heldout.clone(),
        heldout_nsamples: heldout,
        self_generated: recipe.self_generated.clone(),
        self_nsamples: generated,
        device: required(&recipe.device, "device")?.clone(),
        streams: streams.into(),
        stream_dtype: kind_name(plan.stream_kind).into(),
        micro_batch: plan.micro_batch,
        autocast: recipe.autocast.unwrap_or(false),
        save_dtype: save_dtype.into(),
    })
}

/// What a resumable state must match: every config entry that changes the result
/// (not where streams live or how the checkpoint is stored), and the fingerprints.
fn resume_key(config: &RunConfig, fingerprints: &Fingerprints) -> anyhow::Result<BTreeMap<String, String>> {
    let mut key = BTreeMap::new();
    if let serde_json::Value::Object(entries) = serde_json::to_value(config)? {
        for (name, value) in entries.into_iter().filter(|(n, _)| !matches!(n.as_str(), "streams" | "save_dtype" | "errors_every_epoch" | "device")) {
            key.insert(format!("config {name}"), value.to_string());
        }
    }
    key.insert("model fingerprint".into(), fingerprints.model.clone());
    key.insert("calibration windows fingerprint".into(), fingerprints.calib.clone());
    key.insert("held-out windows fingerprint".into(), format!("{:?}", fingerprints.heldout));
    key.insert("generated windows fingerprint".into(), format!("{:?}", fingerprints.self_generated));
    Ok(key)
}
