//! `secateurs verify DIR`: re-measures a pruned checkpoint against its
//! `sparsity.json` — every linear's fraction of exact zeros and, for N:M patterns,
//! compliance in every group of M inputs of every linear the run pruned (its
//! `targets`/`ignore`) — prints a table, and fails on any mismatch.

use std::path::Path;

use anyhow::{Context, bail};
use secateurs_model::Model;
use secateurs_recon::Selection;
use secateurs_sparse::measure;
use serde_json::Value;
use tch::{Device, Kind};

/// A recorded linear whose weight no longer matches.
#[derive(Debug)]
struct Mismatch {
    name: String,
    why: String,
}

/// Runs the command; `Ok(false)` when something does not match.
pub fn run(dir: &Path) -> anyhow::Result<bool> {
    let record_path = dir.join("sparsity.json");
    let record: Value = serde_json::from_str(&std::fs::read_to_string(&record_path).with_context(|| format!("cannot read {}", record_path.display()))?)
        .with_context(|| format!("{} is not JSON", record_path.display()))?;
    let pattern = record["requested"]["pattern"].as_str().unwrap_or("unstructured");
    let n_of_m = pattern.split_once(':').and_then(|(n, m)| Some((n.parse::<i64>().ok()?, m.parse::<i64>().ok()?)));
    let entries = |key: &str| -> Vec<String> { record["requested"][key].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default() };
    let selection = Selection::new(&entries("targets"), &entries("ignore")).with_context(|| format!("{} has bad targets/ignore", record_path.display()))?;
    let linears = record["measured"]["linears"].as_array().with_context(|| format!("{} has no measured.linears", record_path.display()))?;
    let model = Model::open(dir, Kind::Float, Device::Cpu).with_context(|| format!("cannot open checkpoint {}", dir.display()))?;
    let mut mismatches = Vec::new();
    let (mut zeros, mut total) = (0.0, 0.0);
    println!("{:<48} {:>10} {:>10} {:>6}", "linear", "recorded", "measured", "N:M");
    for block in 0..model.num_blocks() {
        let loaded = model.load_block(block)?;
        let prefix = model.arch.block_prefix(block);
        for (name, linear) in loaded.linears() {
            let full = format!("{prefix}{name}");
            let measured = measure::sparsity(&linear.weight);
            let numel = linear.weight.numel() as f64;
            zeros += measured * numel;
            total += numel;
            let recorded = linears.iter().find(|l| l["name"] == full.as_str()).and_then(|l| l["sparsity"].as_f64());
            // Linears the run left dense (targets/ignore) owe no pattern.
            let compliant = match n_of_m {
                Some((n, m)) if selection.prunes(&full) => Some(measure::satisfies_n_of_m(&linear.weight, n, m)?),
                _ => None,
            };
            println!(
                "{full:<48} {:>10} {measured:>10.6} {:>6}",
                recorded.map_or("-".into(), |r| format!("{r:.6}")),
                compliant.map_or("-", |c| if c { "ok" } else { "FAIL" })
            );
            match recorded {
                None => mismatches.push(Mismatch { name: full.clone(), why: "missing from sparsity.json".into() }),
                Some(r) if (r - measured).abs() > 1e-9 => mismatches.push(Mismatch { name: full.clone(), why: format!("recorded {r:.6}, measured {measured:.6}") }),
                _ => {}
            }
            if compliant == Some(false) {
                mismatches.push(Mismatch { name: full, why: format!("not {pattern} in every group of inputs") });
            }
        }
    }
    println!("total sparsity {:.6} over {} linears ({pattern})", zeros / total.max(1.0), linears.len());
    if linears.len() != model.num_blocks() * model.arch.linear_shapes().len() {
        bail!("{} records {} linears; the checkpoint has {}", record_path.display(), linears.len(), model.num_blocks() * model.arch.linear_shapes().len());
    }
    for m in &mismatches {
        eprintln!("mismatch: {}: {}", m.name, m.why);
    }
    Ok(mismatches.is_empty())
}
