//! Progress of a pruning run: a bar per window (optimiser steps, with ETA) and one
//! log line per finished block.

use indicatif::{ProgressBar, ProgressStyle};
use secateurs_recon::{BlockRecord, Errors, Observer, Window};

/// Draws to stderr.
#[derive(Debug)]
pub struct Bars {
    blocks: usize,
    bar: Option<ProgressBar>,
}

impl Bars {
    /// For a model of `blocks` blocks.
    pub fn new(blocks: usize) -> Self {
        Self { blocks, bar: None }
    }

    fn println(&self, line: String) {
        // A hidden bar (stderr is not a terminal) would drop the line.
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }
}

fn errors(e: &Errors) -> String {
    match e.heldout {
        Some(h) => format!("{:.4e} (held-out {h:.4e})", e.calib),
        None => format!("{:.4e}", e.calib),
    }
}

impl Observer for Bars {
    fn window_started(&mut self, window: &Window, steps: usize) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let bar = ProgressBar::new(steps.max(1) as u64);
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} steps, loss {msg}, {elapsed} (ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("blocks {}..{} of {}", window.blocks.start, window.blocks.end - 1, self.blocks));
        if steps == 0 {
            bar.set_message("-");
        }
        self.bar = Some(bar);
    }

    fn step_done(&mut self, loss: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{loss:.4e}"));
            bar.inc(1);
        }
    }

    fn block_done(&mut self, r: &BlockRecord) {
        self.println(format!(
            "block {:>3}/{}  sparsity {:.4}  error pruned {} -> final {}  epoch kept {}  {:.1} s",
            r.block + 1,
            self.blocks,
            r.sparsity,
            errors(&r.error_pruned),
            errors(&r.error),
            r.kept_epoch,
            r.seconds
        ));
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
