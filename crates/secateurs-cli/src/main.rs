//! secateurs-cli: the `secateurs` binary — a thin clap layer over the library crates.
//! `main` calls [`run`] and prints the whole cause chain of an error.

mod eval;
mod generate;
mod inspect;
mod options;
mod plan;
mod progress;
mod prune;
mod recipe;
mod report;
mod verify;
mod windows;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Prune large language models after training and repair them by minimising
/// reconstruction error.
#[derive(Debug, Parser)]
#[command(name = "secateurs", disable_version_flag = true)]
struct Cli {
    /// Print the version of secateurs and of the libtorch it runs on, and whether
    /// CUDA is available.
    #[arg(short = 'V', long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Describe a Hugging Face checkpoint directory without loading its weights.
    Inspect {
        /// The checkpoint directory (config.json, *.safetensors, tokenizer.json).
        dir: PathBuf,
    },
    /// Prune a checkpoint and reconstruct it (LR, BR, BR+GP, CR), writing a Hugging
    /// Face checkpoint with sparsity.json and run.json.
    Prune(Box<prune::PruneArgs>),
    /// Estimate a prune's memory from the config alone (no weights loaded), split
    /// between device and host, against what the machine has.
    Plan(Box<plan::PlanArgs>),
    /// Compare pruning runs: one table and one error-by-depth figure.
    Report(report::ReportArgs),
    /// Evaluate a checkpoint: perplexity protocols, zero-shot tasks, reconstruction error.
    Eval(eval::EvalArgs),
    /// Re-measure a pruned checkpoint against its sparsity.json (per-linear sparsity,
    /// N:M compliance); exits non-zero on any mismatch.
    Verify {
        /// The pruned checkpoint directory (with sparsity.json).
        dir: PathBuf,
    },
    /// Generate calibration text with the dense model itself (JSON Lines).
    GenerateCalib(generate::GenerateArgs),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("secateurs: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if cli.version {
        println!("secateurs {}", env!("CARGO_PKG_VERSION"));
        println!("{}", secateurs_model::Libtorch::detect().summary());
        return Ok(ExitCode::SUCCESS);
    }
    match cli.command {
        Some(Command::Inspect { dir }) => inspect::run(&dir)?,
        Some(Command::Prune(args)) => prune::run(&args)?,
        Some(Command::Eval(args)) => eval::run(&args)?,
        Some(Command::Plan(args)) => plan::run(&args)?,
        Some(Command::Report(args)) => report::run(&args)?,
        Some(Command::GenerateCalib(args)) => generate::run(&args)?,
        Some(Command::Verify { dir }) => {
            if !verify::run(&dir)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}
