//! `cargo xtask reproduce [--quick]`: the paper's grid — magnitude, Wanda and
//! SparseGPT × LR, BR, BR+GP, BR+GP+CR, plus SparseGPT BR+GP+CR with self-generated
//! data (PAPER.md §4, §6) — on the embedded model with the recon acceptance protocol,
//! then Table 1/3-style markdown and the error-against-depth figures.
//!
//! Each cell is one `secateurs prune` plus one `secateurs eval` (perplexity and the
//! analogy task), run by a copy of the binary taken at the start, so rebuilding the
//! workspace meanwhile cannot change a running grid. Finished cells are kept: a rerun
//! with the same protocol only runs what is missing and rewrites the tables. A
//! different protocol in the same output folder is refused. Once a cell is evaluated
//! its weights are removed (13 checkpoints of even SmolLM2 are 7 GB); its records,
//! report and masks' sparsity stay. `--keep-checkpoints` keeps the weights.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use secateurs_records::RunRecord;
use secateurs_records::plot::{Chart, Series, line_chart};
use secateurs_records::report::error_series;
use serde::{Deserialize, Serialize};

use crate::process;
use crate::scores::{Scores, read_eval};

/// What the grid runs on and how much of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Dense checkpoint.
    pub model: String,
    /// Calibration sources.
    pub calib: Vec<String>,
    /// Held-out source.
    pub heldout: String,
    /// Perplexity sources.
    pub eval: Vec<String>,
    /// Sparsity of every run.
    pub sparsity: f64,
    /// Calibration windows.
    pub nsamples: usize,
    /// Tokens per calibration window.
    pub seqlen: usize,
    /// Held-out windows.
    pub heldout_nsamples: usize,
    /// Windows per optimiser step.
    pub batch_size: usize,
    /// Epochs per window.
    pub epochs: usize,
    /// Perplexity windows per source.
    pub eval_windows: usize,
    /// Tokens per perplexity window.
    pub eval_seqlen: usize,
    /// Analogy questions.
    pub analogy: usize,
    /// Seed of everything.
    pub seed: u64,
}

impl Protocol {
    /// The recon acceptance protocol (issue 5), sized for 2 CPU cores.
    pub fn full() -> Self {
        Self {
            model: "assets/models/smollm2-135m".into(),
            calib: vec!["assets/corpora/brown.txt".into()],
            heldout: "assets/corpora/enwiki.txt".into(),
            eval: vec!["assets/corpora/enwiki.txt".into(), "assets/corpora/mobydick.txt".into()],
            sparsity: 0.5,
            nsamples: 16,
            seqlen: 256,
            heldout_nsamples: 8,
            batch_size: 4,
            epochs: 5,
            eval_windows: 32,
            eval_seqlen: 512,
            analogy: 100,
            seed: 0,
        }
    }

    /// A few blocks' worth of data and one epoch: every cell of the grid in minutes.
    pub fn quick() -> Self {
        Self { nsamples: 4, seqlen: 64, heldout_nsamples: 2, batch_size: 2, epochs: 1, eval_windows: 4, eval_seqlen: 128, analogy: 20, ..Self::full() }
    }
}

/// One cell of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Pruner.
    pub method: &'static str,
    /// Technique: lr, br, br+gp, br+gp+cr.
    pub recon: &'static str,
    /// Self-generated data joins the reconstruction.
    pub self_generated: bool,
}

impl Cell {
    /// Folder name of the run.
    pub fn name(&self) -> String {
        format!("{}-{}{}", self.method, self.recon, if self.self_generated { "+selfgen" } else { "" })
    }
}

/// Pruners in the paper's table order.
pub const METHODS: [&str; 3] = ["sparsegpt", "wanda", "magnitude"];
/// Techniques in the paper's table order.
pub const RECONS: [&str; 4] = ["lr", "br", "br+gp", "br+gp+cr"];

/// The grid: every pruner × technique, then SparseGPT BR+GP+CR on self-generated data.
pub fn grid() -> Vec<Cell> {
    let mut cells: Vec<Cell> = METHODS.iter().flat_map(|&method| RECONS.iter().map(move |&recon| Cell { method, recon, self_generated: false })).collect();
    cells.push(Cell { method: "sparsegpt", recon: "br+gp+cr", self_generated: true });
    cells
}

/// Options of the command.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The protocol.
    pub protocol: Protocol,
    /// Where runs go.
    pub runs: PathBuf,
    /// Where tables and figures go.
    pub results: PathBuf,
    /// Keep each cell's weights after its evaluation.
    pub keep_checkpoints: bool,
}

impl Options {
    /// Parses `[--quick] [--keep-checkpoints] [--model DIR] [--calib SRC...] [--heldout SRC] [--eval SRC...] [--out DIR]`.
    pub fn parse(args: &[String]) -> Result<Self> {
        let quick = args.iter().any(|a| a == "--quick");
        let keep_checkpoints = args.iter().any(|a| a == "--keep-checkpoints");
        let mut protocol = if quick { Protocol::quick() } else { Protocol::full() };
        let (mut runs, mut results) = if quick {
            (PathBuf::from("target/reproduce-quick"), PathBuf::from("target/reproduce-quick/results"))
        } else {
            (PathBuf::from("target/reproduce"), PathBuf::from("docs/results"))
        };
        let mut rest = args.iter().filter(|a| *a != "--quick" && *a != "--keep-checkpoints").peekable();
        while let Some(flag) = rest.next() {
            let mut values = Vec::new();
            while let Some(v) = rest.next_if(|v| !v.starts_with("--")) {
                values.push(v.clone());
            }
            let one = || -> Result<String> {
                match values.as_slice() {
                    [v] => Ok(v.clone()),
                    _ => bail!("{flag} takes one value, got {values:?}"),
                }
            };
            match flag.as_str() {
                "--model" => protocol.model = one()?,
                "--heldout" => protocol.heldout = one()?,
                "--calib" if !values.is_empty() => protocol.calib = values,
                "--eval" if !values.is_empty() => protocol.eval = values,
                "--out" => {
                    runs = PathBuf::from(one()?);
                    results = runs.join("results");
                }
                _ => bail!("unknown reproduce option {flag} {values:?}; expected --quick, --keep-checkpoints, --model DIR, --calib SRC..., --heldout SRC, --eval SRC..., --out DIR"),
            }
        }
        Ok(Self { protocol, runs, results, keep_checkpoints })
    }
}

/// Runs the grid (skipping finished cells) and writes the tables and figures.
pub fn run(root: &Path, options: &Options) -> Result<()> {
    let runs = root.join(&options.runs);
    std::fs::create_dir_all(&runs).with_context(|| format!("cannot create {}", runs.display()))?;
    check_protocol(&runs, &options.protocol)?;
    let binary = frozen_binary(root, &runs)?;
    let secateurs = |args: &[String]| {
        let mut command = Command::new(&binary);
        command.current_dir(root).args(args);
        process::run(&mut command)
    };
    let p = &options.protocol;
    let dense_eval = runs.join("dense.eval.json");
    if !dense_eval.exists() {
        eprintln!("xtask: reproduce: evaluating the dense model");
        secateurs(&eval_args(p, &p.model, &dense_eval))?;
    }
    let cells = grid();
    for (i, cell) in cells.iter().enumerate() {
        let dir = runs.join(cell.name());
        let eval = runs.join(format!("{}.eval.json", cell.name()));
        if !dir.join(RunRecord::FILE).exists() {
            eprintln!("xtask: reproduce: [{}/{}] {}", i + 1, cells.len(), cell.name());
            let generated = if cell.self_generated { Some(self_generated(p, &runs, &secateurs)?) } else { None };
            secateurs(&prune_args(p, cell, &dir, generated.as_deref()))?;
        }
        if !eval.exists() {
            secateurs(&eval_args(p, &dir.display().to_string(), &eval))?;
        }
        if !options.keep_checkpoints {
            remove_weights(&dir)?;
        }
    }
    let results = root.join(&options.results);
    std::fs::create_dir_all(&results).with_context(|| format!("cannot create {}", results.display()))?;
    let tables = write_results(&runs, &results, p, &cells)?;
    eprintln!("xtask: reproduce: tables in {}", tables.display());
    Ok(())
}

/// Removes a checkpoint's weight files (`*.safetensors` and the shard index), keeping
/// its config, records, report and figures.
fn remove_weights(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".safetensors") || name == "model.safetensors.index.json" {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Refuses to mix protocols in one folder; records the protocol of a new one.
fn check_protocol(runs: &Path, protocol: &Protocol) -> Result<()> {
    let path = runs.join("protocol.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let existing: Protocol = serde_json::from_str(&text).with_context(|| format!("{} is not a reproduce protocol", path.display()))?;
        if &existing != protocol {
            bail!("{} holds runs of another protocol ({}); remove the folder or pass --out", runs.display(), path.display());
        }
        return Ok(());
    }
    std::fs::write(&path, serde_json::to_string_pretty(protocol)?).with_context(|| format!("cannot write {}", path.display()))
}

/// Builds secateurs and copies the binary into the runs folder.
fn frozen_binary(root: &Path, runs: &Path) -> Result<PathBuf> {
    let (built, frozen) = (process::build_secateurs(root)?, runs.join("secateurs"));
    std::fs::copy(&built, &frozen).with_context(|| format!("cannot copy {} to {}", built.display(), frozen.display()))?;
    Ok(frozen)
}

fn prune_args(p: &Protocol, cell: &Cell, out: &Path, generated: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> = ["prune", "--model", &p.model, "--method", cell.method, "--sparsity", &p.sparsity.to_string()].map(String::from).to_vec();
    if cell.method == "magnitude" {
        // The paper's magnitude baseline compares weights within each output row.
        args.extend(["--group", "row"].map(String::from));
    }
    args.extend(["--recon".into(), cell.recon.into()]);
    args.push("--calib".into());
    args.extend(p.calib.iter().cloned());
    args.extend(
        [
            "--nsamples", &p.nsamples.to_string(), "--seqlen", &p.seqlen.to_string(), "--seed", &p.seed.to_string(),
            "--heldout", &p.heldout, "--heldout-nsamples", &p.heldout_nsamples.to_string(),
            "--batch-size", &p.batch_size.to_string(), "--epochs", &p.epochs.to_string(), "--errors-at", "end",
        ]
        .map(String::from),
    );
    if let Some(file) = generated {
        args.extend(["--self-generated".into(), file.display().to_string(), "--self-nsamples".into(), p.nsamples.to_string()]);
    }
    args.extend(["--out".into(), out.display().to_string()]);
    args
}

fn eval_args(p: &Protocol, model: &str, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec!["eval".into(), "--model".into(), model.into(), "--ppl".into()];
    args.extend(p.eval.iter().cloned());
    args.extend(["--windows", &p.eval_windows.to_string(), "--seqlen", &p.eval_seqlen.to_string()].map(String::from));
    args.extend(["--tasks", "analogy", "--limit", &p.analogy.to_string(), "--batch", "8", "--seed", &p.seed.to_string()].map(String::from));
    args.extend(["--out".into(), out.display().to_string()]);
    args
}

/// Generates the self-generated calibration text once (texts longer than a window).
fn self_generated(p: &Protocol, runs: &Path, secateurs: &dyn Fn(&[String]) -> Result<()>) -> Result<PathBuf> {
    let file = runs.join("self-generated.jsonl");
    if !file.exists() {
        eprintln!("xtask: reproduce: generating {} texts with the dense model", p.nsamples);
        let args = [
            "generate-calib", "--model", &p.model, "--count", &p.nsamples.to_string(), "--max-len", &(2 * p.seqlen).to_string(),
            "--min-len", &(p.seqlen + 1).to_string(), "--seed", &p.seed.to_string(), "--out", &file.display().to_string(),
        ]
        .map(String::from);
        secateurs(&args)?;
    }
    Ok(file)
}

/// A finished cell's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellResult {
    /// Folder name.
    pub name: String,
    /// Pruner.
    pub method: String,
    /// Technique.
    pub recon: String,
    /// Self-generated data used.
    pub self_generated: bool,
    /// Final-block error on calibration windows.
    pub error_calib: f64,
    /// Final-block error on held-out windows.
    pub error_heldout: Option<f64>,
    /// Perplexity per evaluation source.
    pub perplexity: Vec<(String, f64)>,
    /// Analogy accuracy.
    pub analogy: Option<f64>,
    /// Measured sparsity.
    pub sparsity: f64,
    /// Wall time of the prune.
    pub seconds: f64,
    /// Peak RSS of the prune.
    pub peak_rss_bytes: Option<u64>,
}

fn write_results(runs: &Path, results: &Path, p: &Protocol, cells: &[Cell]) -> Result<PathBuf> {
    let dense = read_eval(&runs.join("dense.eval.json"), &p.eval)?;
    let mut finished = Vec::new();
    let mut records = Vec::new();
    for cell in cells {
        let record = RunRecord::read(&runs.join(cell.name()))?;
        let Scores { perplexity, analogy } = read_eval(&runs.join(format!("{}.eval.json", cell.name())), &p.eval)?;
        let last = record.last_block().with_context(|| format!("{} finished no block", cell.name()))?;
        // A cell that did not prune what it was asked, or diverged, fails the grid.
        if (record.measured_sparsity() - p.sparsity).abs() > 0.01 || !last.error.calib.is_finite() {
            bail!("{}: measured sparsity {:.4} (asked {}), final-block error {}", cell.name(), record.measured_sparsity(), p.sparsity, last.error.calib);
        }
        finished.push(CellResult {
            name: cell.name(),
            method: cell.method.into(),
            recon: cell.recon.into(),
            self_generated: cell.self_generated,
            error_calib: last.error.calib,
            error_heldout: last.error.heldout,
            perplexity,
            analogy,
            sparsity: record.measured_sparsity(),
            seconds: record.seconds.total,
            peak_rss_bytes: record.memory.peak_rss_bytes,
        });
        records.push((*cell, record));
    }
    for method in METHODS {
        let series: Vec<Series> = records
            .iter()
            .filter(|(c, _)| c.method == method && !c.self_generated)
            .enumerate()
            .flat_map(|(color, (cell, record))| error_series(record, &cell.recon.to_uppercase(), |b| b.error, color))
            .collect();
        let title = format!("{method}: reconstruction error by depth");
        let chart = Chart { title: &title, x: "block", y: "mean squared error to the dense model", log_y: true };
        line_chart(&results.join(format!("error-by-depth-{method}.svg")), &chart, &series)?;
    }
    std::fs::write(results.join("cells.json"), serde_json::to_string_pretty(&finished)?).with_context(|| format!("cannot write {}", results.display()))?;
    let tables = results.join("tables.md");
    std::fs::write(&tables, tables_markdown(p, &dense.perplexity, dense.analogy, &finished)).with_context(|| format!("cannot write {}", tables.display()))?;
    Ok(tables)
}

/// Table 1/3 (every cell) and Table 2 (calibration vs held-out with and without CR).
pub fn tables_markdown(p: &Protocol, dense_ppl: &[(String, f64)], dense_analogy: Option<f64>, cells: &[CellResult]) -> String {
    use std::fmt::Write as _;
    let quick = p != &Protocol::full();
    let mut md = String::from("# Reproduction of the paper's tables on the embedded model\n\n");
    let _ = writeln!(
        md,
        "Made by `cargo xtask reproduce{}`. Model {}; {} sparsity, unstructured; calibration {} × {} tokens from {} (seed {}); \
         held-out {} × {} tokens from the start of {}; BR/GP/CR with batch {} × {} epoch(s), lr 2e-4 decaying linearly to 0; \
         perplexity on the first {} windows of {} tokens of each evaluation text; analogy on {} questions (4 choices). \
         Error = mean squared difference between the pruned and the dense model's output of the final block. \
         Time = wall seconds of the prune alone (not the evaluation), on whatever else the machine was running.\n",
        if quick { " (non-default protocol, see protocol.json)" } else { "" },
        p.model, p.sparsity, p.nsamples, p.seqlen, p.calib.join(", "), p.seed, p.heldout_nsamples, p.seqlen, p.heldout,
        p.batch_size, p.epochs, p.eval_windows, p.eval_seqlen, p.analogy
    );
    let ppl_heads: String = dense_ppl.iter().map(|(n, _)| format!(" ppl {n} |")).collect();
    let rule: String = dense_ppl.iter().map(|_| "---|").collect();
    let _ = writeln!(md, "## Table 1/3: every pruner × technique\n\n| Pruner | Recon | Error calib | Error held-out |{ppl_heads} Analogy | Sparsity | Time (s) |\n|---|---|---|---|{rule}---|---|---|");
    let dense: String = dense_ppl.iter().map(|(_, v)| format!(" {v:.2} |")).collect();
    let _ = writeln!(md, "| Dense | – | – | – |{dense} {} | 0 | – |", two_decimals(dense_analogy));
    for c in cells {
        let ppl: String = c.perplexity.iter().map(|(_, v)| format!(" {v:.2} |")).collect();
        let recon = format!("{}{}", c.recon.to_uppercase(), if c.self_generated { " + self-generated" } else { "" });
        let _ = writeln!(
            md,
            "| {} | {recon} | {:.2} | {} |{ppl} {} | {:.4} | {:.0} |",
            c.method, c.error_calib, two_decimals(c.error_heldout), two_decimals(c.analogy), c.sparsity, c.seconds
        );
    }
    let _ = writeln!(md, "\n## Table 2: calibration vs held-out error, BR+GP without (X) and with (O) CR\n\n| Pruner | X calib | X held-out | O calib | O held-out |\n|---|---|---|---|---|");
    for method in METHODS {
        let find = |recon: &str| cells.iter().find(|c| c.method == method && c.recon == recon && !c.self_generated);
        if let (Some(x), Some(o)) = (find("br+gp"), find("br+gp+cr")) {
            let _ = writeln!(md, "| {method} | {:.2} | {} | {:.2} | {} |", x.error_calib, two_decimals(x.error_heldout), o.error_calib, two_decimals(o.error_heldout));
        }
    }
    let _ = writeln!(md, "\n## Error against depth\n");
    for method in METHODS {
        let _ = writeln!(md, "![{method}](error-by-depth-{method}.svg)\n");
    }
    md
}

/// A value to two decimals, or – where there is none.
fn two_decimals(value: Option<f64>) -> String {
    value.map_or("–".into(), |a| format!("{a:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_every_pruner_by_every_technique_plus_self_generated() {
        let cells = grid();
        assert_eq!(cells.len(), 13);
        assert_eq!(cells.iter().filter(|c| c.self_generated).count(), 1);
        assert_eq!(cells[12].name(), "sparsegpt-br+gp+cr+selfgen");
        assert_eq!(cells[0].name(), "sparsegpt-lr");
    }

    #[test]
    fn options_override_the_protocol_and_reject_unknown_flags() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let quick = Options::parse(&args(&["--quick"])).expect("quick");
        assert_eq!((quick.protocol.epochs, quick.runs.clone()), (1, PathBuf::from("target/reproduce-quick")));
        let custom = Options::parse(&args(&["--model", "m", "--calib", "a.json.gz", "b.json.gz", "--eval", "wiki.txt", "--out", "o"])).expect("custom");
        assert_eq!(custom.protocol.model, "m");
        assert_eq!(custom.protocol.calib, vec!["a.json.gz", "b.json.gz"]);
        assert_eq!(custom.results, PathBuf::from("o/results"));
        assert!(!quick.keep_checkpoints);
        assert!(Options::parse(&args(&["--quick", "--keep-checkpoints"])).expect("keep").keep_checkpoints);
        let err = Options::parse(&args(&["--epochs", "3"])).expect_err("unknown");
        assert!(err.to_string().contains("unknown reproduce option --epochs"), "{err}");
    }

    #[test]
    fn removing_weights_keeps_everything_else() {
        let scratch = tempfile::tempdir().expect("temp dir");
        let dir = scratch.path();
        let names = ["model-00001-of-00002.safetensors", "model.safetensors.index.json", "config.json", "run.json", "report.md", "sparsity.json"];
        for name in names {
            std::fs::write(dir.join(name), "x").expect("write");
        }
        remove_weights(dir).expect("remove");
        let mut left: Vec<String> = std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["config.json", "report.md", "run.json", "sparsity.json"]);
    }

    #[test]
    fn prune_arguments_spell_each_technique() {
        let p = Protocol::quick();
        let cr = prune_args(&p, &Cell { method: "magnitude", recon: "br+gp+cr", self_generated: false }, Path::new("o"), None);
        let joined = cr.join(" ");
        assert!(joined.contains("--group row --recon br+gp+cr"), "{joined}");
        let lr = prune_args(&p, &Cell { method: "wanda", recon: "lr", self_generated: false }, Path::new("o"), None).join(" ");
        assert!(lr.contains("--recon lr") && !lr.contains("--group"), "{lr}");
    }
}
