//! `secateurs report RUN_DIR...`: compares runs (their `run.json`) in one markdown
//! table and one error-against-depth figure, written to `--out` and the table
//! printed.

use std::path::PathBuf;

use anyhow::{Context, bail};
use secateurs_records::RunRecord;
use secateurs_records::report::{comparison_table, write_comparison};

/// Arguments of `secateurs report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Run directories written by `secateurs prune` (each with run.json).
    #[arg(required = true, num_args = 1..)]
    runs: Vec<PathBuf>,
    /// Where to write report.md and error-by-depth.svg.
    #[arg(long, default_value = "secateurs-report")]
    out: PathBuf,
}

/// Runs the command.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let mut runs = Vec::new();
    for dir in &args.runs {
        let record = RunRecord::read(dir).with_context(|| format!("{} is not a secateurs run directory", dir.display()))?;
        let label = dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
        if runs.iter().any(|(l, _)| *l == label) {
            bail!("two runs are named '{label}'; give run directories distinct names");
        }
        runs.push((label, record));
    }
    let path = write_comparison(&args.out, &runs)?;
    print!("{}", comparison_table(&runs));
    println!("report: {}", path.display());
    Ok(())
}
