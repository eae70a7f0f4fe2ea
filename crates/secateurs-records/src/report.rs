//! Reports: `report.md` plus SVG figures for one run, and one table plus one figure
//! comparing several runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::plot::{Chart, Series, line_chart};
use crate::{Error, RunRecord};

/// The report file of a run (or of a comparison) directory.
pub const REPORT_FILE: &str = "report.md";
/// Per-block reconstruction error (the paper's error-against-depth figure).
pub const ERROR_PLOT: &str = "error-by-depth.svg";
/// Per-linear sparsity against depth.
pub const SPARSITY_PLOT: &str = "sparsity-by-linear.svg";
/// Wall time per block.
pub const SECONDS_PLOT: &str = "seconds-by-block.svg";

/// Writes `report.md` and the three figures of one run into `dir`; returns the
/// report's path.
pub fn write_run_report(dir: &Path, run: &RunRecord) -> Result<PathBuf, Error> {
    let error = Chart { title: "Reconstruction error by depth (against the dense model)", x: "block", y: "mean squared error", log_y: true };
    line_chart(&dir.join(ERROR_PLOT), &error, &error_series(run, "pruned", |b| b.error_pruned, 1).into_iter().chain(error_series(run, "final", |b| b.error, 0)).collect::<Vec<_>>())?;
    let sparsity = Chart { title: "Sparsity of every linear", x: "block", y: "fraction of zeros", log_y: false };
    line_chart(&dir.join(SPARSITY_PLOT), &sparsity, &sparsity_series(run))?;
    let seconds = Chart { title: "Wall time per block", x: "block", y: "seconds", log_y: false };
    let points = run.blocks.iter().map(|b| (b.block as f64, b.seconds)).collect();
    line_chart(&dir.join(SECONDS_PLOT), &seconds, &[Series { label: "window that finished the block".into(), points, dashed: false, color: 0 }])?;
    let path = dir.join(REPORT_FILE);
    write_text(&path, &run_markdown(run))?;
    Ok(path)
}

/// Writes `report.md` (one table) and `error-by-depth.svg` (one line per run) for
/// several runs into `dir`; returns the report's path.
pub fn write_comparison(dir: &Path, runs: &[(String, RunRecord)]) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    let chart = Chart { title: "Final reconstruction error by depth", x: "block", y: "mean squared error (calibration)", log_y: true };
    let series: Vec<Series> = runs.iter().enumerate().flat_map(|(i, (label, run))| error_series(run, label, |b| b.error, i)).collect();
    line_chart(&dir.join(ERROR_PLOT), &chart, &series)?;
    let mut md = String::from("# secateurs runs compared\n\n");
    md.push_str(&comparison_table(runs));
    let _ = writeln!(md, "\n![error by depth]({ERROR_PLOT})\n\nSolid: calibration windows; dashed: held-out windows.");
    let path = dir.join(REPORT_FILE);
    write_text(&path, &md)?;
    Ok(path)
}

/// One row per run: what it was and what it measured.
pub fn comparison_table(runs: &[(String, RunRecord)]) -> String {
    let mut md = String::from("| Run | Method | Sparsity | Pattern | Recon | Epochs | Final error calib | Final error held-out | Measured sparsity | Time (s) | Peak RSS (GB) |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (label, run) in runs {
        let c = &run.config;
        let last = run.last_block().map(|b| b.error);
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {:.4} | {:.0} | {} |",
            c.method,
            c.sparsity,
            c.pattern,
            c.recon.to_uppercase(),
            c.epochs,
            last.map_or("–".into(), |e| format!("{:.4}", e.calib)),
            last.and_then(|e| e.heldout).map_or("–".into(), |h| format!("{h:.4}")),
            run.measured_sparsity(),
            run.seconds.total,
            gigabytes(run.memory.peak_rss_bytes),
        );
    }
    md
}

/// The report of one run.
pub fn run_markdown(run: &RunRecord) -> String {
    let c = &run.config;
    let mut md = format!(
        "# {} {} {} — {}\n\n",
        c.method,
        c.sparsity,
        c.pattern,
        c.recon.to_uppercase()
    );
    let _ = writeln!(md, "`{}`\n", run.command.join(" "));
    let last = run.last_block();
    let _ = writeln!(md, "| | |\n|---|---|");
    let rows = [
        ("model", format!("{} (fingerprint {})", c.model.display(), run.fingerprints.model)),
        ("calibration", format!("{} windows × {} tokens from {} (seed {}, fingerprint {})", c.nsamples, c.seqlen, paths(&c.calib), c.seed, run.fingerprints.calib)),
        ("held-out", c.heldout.as_ref().map_or("none".into(), |h| format!("{} windows from {}", c.heldout_nsamples.unwrap_or(0), h.display()))),
        ("self-generated", c.self_generated.as_ref().map_or("none".into(), |g| format!("{} windows from {}", c.self_nsamples.unwrap_or(0), g.display()))),
        ("reconstruction", format!("{}: window {}, {} epochs, lr {}, batch {}", c.recon, c.window, c.epochs, c.lr, c.batch_size)),
        ("measured sparsity", format!("{:.4}", run.measured_sparsity())),
        ("final-block error (calibration)", last.map_or("–".into(), |b| format!("{:.4} (after pruning {:.4})", b.error.calib, b.error_pruned.calib))),
        ("final-block error (held-out)", last.and_then(|b| b.error.heldout).map_or("–".into(), |h| format!("{h:.4}"))),
        ("wall time", format!("{:.1} s ({:.1} s reconstruction)", run.seconds.total, run.seconds.recon)),
        ("peak memory", format!("{} GB RSS measured, {:.2} GB estimated", gigabytes(run.memory.peak_rss_bytes), run.memory.estimated_peak_bytes as f64 / 1e9)),
        ("versions", format!("secateurs {} ({}), {}", run.versions.secateurs, run.versions.git_commit, run.versions.libtorch)),
    ];
    for (key, value) in rows {
        let _ = writeln!(md, "| {key} | {value} |");
    }
    let _ = writeln!(md, "\n![error by depth]({ERROR_PLOT})\n\n![sparsity]({SPARSITY_PLOT})\n\n![time per block]({SECONDS_PLOT})\n");
    let _ = writeln!(md, "## Blocks\n\nErrors are mean squared differences to the dense model's activations after the block.\n");
    let _ = writeln!(md, "| Block | Sparsity | Error after pruning | Final error calib | Final error held-out | Kept epoch | Seconds |\n|---|---|---|---|---|---|---|");
    for b in &run.blocks {
        let _ = writeln!(
            md,
            "| {} | {:.4} | {:.4} | {:.4} | {} | {} | {:.1} |",
            b.block,
            b.sparsity,
            b.error_pruned.calib,
            b.error.calib,
            b.error.heldout.map_or("–".into(), |h| format!("{h:.4}")),
            b.kept_epoch,
            b.seconds
        );
    }
    md
}

/// Calibration (solid) and held-out (dashed) error against depth, as `pick` takes it
/// from each block's record, in palette colour `color`.
pub fn error_series(run: &RunRecord, label: &str, pick: impl Fn(&crate::BlockRecord) -> crate::Errors, color: usize) -> Vec<Series> {
    let calib = run.blocks.iter().map(|b| (b.block as f64, pick(b).calib)).collect();
    let held: Vec<(f64, f64)> = run.blocks.iter().filter_map(|b| pick(b).heldout.map(|h| (b.block as f64, h))).collect();
    let mut series = vec![Series { label: format!("{label} (calibration)"), points: calib, dashed: false, color }];
    if !held.is_empty() {
        series.push(Series { label: format!("{label} (held-out)"), points: held, dashed: true, color });
    }
    series
}

/// One line per linear kind (`self_attn.q_proj`, …) across blocks.
fn sparsity_series(run: &RunRecord) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for block in &run.blocks {
        for linear in &block.linears {
            let kind = linear_kind(&linear.name, block.block);
            let at = match series.iter().position(|s| s.label == kind) {
                Some(at) => at,
                None => {
                    series.push(Series { label: kind.to_owned(), points: Vec::new(), dashed: false, color: series.len() });
                    series.len() - 1
                }
            };
            series[at].points.push((block.block as f64, linear.sparsity));
        }
    }
    series
}

/// `model.layers.3.mlp.down_proj` → `mlp.down_proj`.
fn linear_kind(name: &str, block: usize) -> &str {
    let marker = format!(".{block}.");
    name.find(&marker).map_or(name, |at| &name[at + marker.len()..])
}

fn paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn gigabytes(bytes: Option<u64>) -> String {
    bytes.map_or("?".into(), |b| format!("{:.2}", b as f64 / 1e9))
}

/// Writes a file through a temporary name, so a reader never sees half of it.
fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)).map_err(|source| Error::Io { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_kinds_drop_the_block_prefix() {
        assert_eq!(linear_kind("model.layers.3.mlp.down_proj", 3), "mlp.down_proj");
        assert_eq!(linear_kind("model.decoder.layers.11.fc1", 11), "fc1");
        assert_eq!(linear_kind("odd", 0), "odd");
    }
}
