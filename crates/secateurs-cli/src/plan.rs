//! `secateurs plan [RECIPE]`: the memory a prune will need — block copies, optimiser
//! state, pruner statistics (Hessians), activation streams, autograd activations —
//! from `config.json` and the safetensors headers alone (no weight is loaded),
//! split between the device and the host as the streams would be placed, and
//! compared with what the machine has. `prune` places its streams with the same
//! plan unless `--streams` says where.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secateurs_model::{Arch, Checkpoint};
use secateurs_recon::memory::{self, Available, Estimate};
use secateurs_recon::{Placement, Propagation, ReconConfig};
use secateurs_sparse::{Method, SparsitySpec};
use tch::{Device, Kind};

use crate::options::{device, kind};
use crate::recipe::{Recipe, required};

/// Arguments of `secateurs plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// A TOML recipe (flags override it).
    recipe_file: Option<PathBuf>,
    #[command(flatten)]
    recipe: Recipe,
}

/// A run's shape, resolved from a recipe without loading weights.
#[derive(Debug)]
pub struct Plan {
    /// The dense checkpoint directory.
    pub model_dir: PathBuf,
    /// Its architecture.
    pub arch: Arch,
    /// The pruner.
    pub method: &'static Method,
    /// Sparsity, pattern, group.
    pub spec: SparsitySpec,
    /// The technique and optimiser settings.
    pub recon: ReconConfig,
    /// Compute device.
    pub device: Device,
    /// Stream storage dtype.
    pub stream_kind: Kind,
    /// Sequences per forward pass.
    pub micro_batch: i64,
    /// Tokens per window.
    pub seqlen: usize,
    /// `auto`, `device`, `host` or `disk:<dir>`.
    pub streams: String,
}

impl Plan {
    /// Resolves and checks every option that shapes the run.
    pub fn new(recipe: &Recipe) -> anyhow::Result<Self> {
        let model_dir = required(&recipe.model, "model")?.clone();
        let checkpoint = Checkpoint::open(&model_dir).with_context(|| format!("cannot open model {}", model_dir.display()))?;
        let arch = Arch::from_config(&checkpoint.config)?;
        let method = secateurs_sparse::method(required(&recipe.method, "method")?)?;
        let group = recipe.group.clone().unwrap_or_else(|| method.default_group().name().to_owned());
        let sparsity = required(&recipe.sparsity, "sparsity")?;
        let spec = SparsitySpec::parse(&sparsity.to_string(), required(&recipe.pattern, "pattern")?, &group)?;
        if !method.groups.contains(&spec.group) {
            let allowed: Vec<&str> = method.groups.iter().map(|g| g.name()).collect();
            bail!("{} does not support group '{group}'; expected one of: {}", method.name, allowed.join(", "));
        }
        let recon = recon(recipe)?;
        let stream_kind = kind(required(&recipe.stream_dtype, "stream_dtype")?)?;
        if stream_kind == Kind::Half {
            bail!("--stream-dtype f16 overflows on large activations; expected one of: f32, bf16");
        }
        let streams = required(&recipe.streams, "streams")?.clone();
        if streams != "auto" {
            Placement::parse(&streams).map_err(|_| anyhow::anyhow!("unknown stream placement '{streams}'; expected one of: auto, device, host, disk:<dir>"))?;
        }
        Ok(Self {
            model_dir,
            arch,
            method,
            spec,
            micro_batch: recipe.micro_batch.unwrap_or(recon.batch_size as i64),
            recon,
            device: device(required(&recipe.device, "device")?)?,
            stream_kind,
            seqlen: *required(&recipe.seqlen, "seqlen")?,
            streams,
        })
    }

    /// The memory estimate for `calib` (real + generated) and `heldout` windows.
    pub fn estimate(&self, calib: i64, heldout: i64) -> Estimate {
        let activations = memory::Activations { calib, heldout, seqlen: self.seqlen as i64, kind: self.stream_kind, micro_batch: self.micro_batch };
        memory::estimate(&self.arch, &self.recon, self.method.needs, activations)
    }

    /// Free device memory and available host memory.
    pub fn available(&self) -> Available {
        let device = match self.device {
            Device::Cuda(index) => cuda_free_bytes(index),
            _ => None,
        };
        Available { device, host: memory::available_host_bytes() }
    }

    /// Where streams live: as requested, or (auto) as the estimate fits.
    pub fn placement(&self, estimate: &Estimate, disk_dir: &Path) -> Placement {
        match Placement::parse(&self.streams) {
            Ok(placement) => placement,
            Err(_) => memory::place_streams(estimate, self.device.is_cuda(), self.available(), disk_dir),
        }
    }
}

/// The reconstruction configuration a recipe describes.
fn recon(recipe: &Recipe) -> anyhow::Result<ReconConfig> {
    let name = required(&recipe.recon, "recon")?;
    let mut recon = ReconConfig::preset(name)?;
    let trains = recon.epochs > 0;
    let early_stop = recipe.early_stop.unwrap_or(false);
    if !trains && (recipe.gp == Some(true) || recipe.cr.is_some() || early_stop) {
        bail!("--gp, --cr and --early-stop change how blocks are trained; they need --recon br");
    }
    if let Some(gp) = recipe.gp {
        recon.propagation = if gp { Propagation::Global } else { Propagation::Local };
    }
    if let Some(k) = recipe.cr {
        if k < 2 {
            bail!("--cr {k}: cross-block windows hold at least 2 blocks");
        }
        recon.window = k;
    }
    if trains {
        recon.epochs = recipe.epochs.unwrap_or(recon.epochs);
        recon.lr = recipe.lr.unwrap_or(recon.lr);
        recon.batch_size = recipe.batch_size.unwrap_or(recon.batch_size);
    }
    recon.early_stop = early_stop;
    recon.errors_every_epoch = match required(&recipe.errors_at, "errors_at")?.as_str() {
        "every-epoch" => true,
        "end" => false,
        other => bail!("unknown --errors-at '{other}'; expected one of: every-epoch, end"),
    };
    recon.seed = *required(&recipe.seed, "seed")?;
    Ok(recon)
}

/// Free memory of CUDA device `index` from `nvidia-smi`, if it answers.
fn cuda_free_bytes(index: usize) -> Option<u64> {
    let out = std::process::Command::new("nvidia-smi").args(["--query-gpu=memory.free", "--format=csv,noheader,nounits", "-i", &index.to_string()]).output().ok()?;
    let mib: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(mib << 20)
}

/// Runs the command.
pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let recipe = Recipe::resolve(args.recipe_file.as_deref(), &args.recipe)?;
    let plan = Plan::new(&recipe)?;
    let calib = *required(&recipe.nsamples, "nsamples")? as i64 + recipe.self_nsamples.unwrap_or(0) as i64;
    let heldout = if recipe.heldout.is_some() { *required(&recipe.heldout_nsamples, "heldout_nsamples")? as i64 } else { 0 };
    let estimate = plan.estimate(calib, heldout);
    let scratch = recipe.out.as_ref().map_or_else(|| PathBuf::from("<out>.streams"), |o| o.with_extension("streams"));
    let placement = plan.placement(&estimate, &scratch);
    let available = plan.available();
    let a = &plan.arch;
    println!("model     {}: {:?}, {} blocks, hidden {}, ffn {}, {} heads (config.json and safetensors headers only)", plan.model_dir.display(), a.family, a.layers, a.hidden, a.ffn, a.heads);
    println!(
        "run       {} {} {}, {}: window {}, {} epochs, {calib} calibration + {heldout} held-out windows x {} tokens, micro-batch {}, streams {}",
        plan.method.name, plan.spec.sparsity, plan.spec.pattern.name(), plan.recon.name(), plan.recon.window, plan.recon.epochs, plan.seqlen, plan.micro_batch, super::options::kind_name(plan.stream_kind)
    );
    let on_cuda = plan.device.is_cuda();
    let gb = |b: u64| format!("{:.3} GB", b as f64 / 1e9);
    // (device, host) bytes of the streams: on the CPU the device's memory is the host's.
    let disk = matches!(placement, Placement::Disk(_));
    let streams = match &placement {
        Placement::Disk(_) => (0, 0),
        Placement::Host if on_cuda => (0, estimate.streams),
        _ => (estimate.streams, 0),
    };
    let rows = [
        ("embeddings and head", (estimate.embeddings, 0)),
        ("block copies (working + dense)", (estimate.blocks, 0)),
        ("gradients, AdamW moments, snapshot", (estimate.optimiser, 0)),
        ("pruner statistics", (estimate.statistics, 0)),
        ("activation streams and targets", streams),
        ("autograd activations and gradients", (estimate.activations, 0)),
    ];
    let (mut device_total, mut host_total) = (0, 0);
    println!("\n{:<42} {:>12} {:>12}", "", if on_cuda { "device" } else { "memory" }, if on_cuda { "host" } else { "" });
    for (name, (d, h)) in rows {
        device_total += d;
        host_total += h;
        println!("{name:<42} {:>12} {:>12}", gb(d), if on_cuda { gb(h) } else { String::new() });
    }
    println!("{:<42} {:>12} {:>12}", "total", gb(device_total), if on_cuda { gb(host_total) } else { String::new() });
    let show = |v: Option<u64>| v.map_or("unknown".to_owned(), gb);
    if on_cuda {
        println!("{:<42} {:>12} {:>12}", "available", show(available.device), show(available.host));
    } else {
        println!("{:<42} {:>12}", "available", show(available.host));
    }
    let chosen = if plan.streams == "auto" { "chosen from this plan" } else { "as requested" };
    let note = if !on_cuda && placement == Placement::Device { "the CPU's memory; " } else { "" };
    println!("\nstreams on {} ({note}{chosen}){}", placement.name(), if disk { format!(": {} on disk", gb(estimate.streams)) } else { String::new() });
    Ok(())
}
