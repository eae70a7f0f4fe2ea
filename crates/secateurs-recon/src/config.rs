//! The reconstruction configuration: what to minimise, over how many blocks, for how
//! long. Defaults follow PAPER.md §3 (AdamW, lr 2e-4 decaying linearly to 0, betas
//! 0.9/0.95, eps 1e-8, no weight decay, batch 8, 10 epochs).

use crate::Error;

/// What a reconstruction step may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Each linear on its own: only the pruner's own update (LR).
    Layer,
    /// Every non-masked parameter of the window's blocks, trained jointly (BR, CR).
    Block,
}

/// Which output the pruned window is trained to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The dense window on the sparse stream's input.
    Local,
    /// The dense window on the dense stream's input (GP).
    Global,
}

/// A reconstruction technique, as data.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconConfig {
    /// Layer- or block-wise.
    pub granularity: Granularity,
    /// Blocks per window (1, or 2 for CR), stride 1.
    pub window: usize,
    /// Local or global targets.
    pub propagation: Propagation,
    /// Passes over the calibration windows (0 for LR).
    pub epochs: usize,
    /// Peak learning rate, decaying linearly to 0.
    pub lr: f64,
    /// AdamW (β1, β2).
    pub betas: (f64, f64),
    /// AdamW ε.
    pub eps: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Windows per optimiser step.
    pub batch_size: usize,
    /// Keep the epoch (0 = untrained) with the lowest held-out error.
    pub early_stop: bool,
    /// Measure errors after every epoch (the learning curve; early stopping needs
    /// it), or only after the last one (saves a forward pass over every window per
    /// epoch).
    pub errors_every_epoch: bool,
    /// Seed of the order windows are visited in, each epoch.
    pub seed: u64,
}

/// Preset names, in the order they are listed to users.
const PRESETS: [&str; 4] = ["lr", "br", "br+gp", "br+gp+cr"];

impl ReconConfig {
    /// The paper's techniques by name: `lr`, `br`, `br+gp`, `br+gp+cr`
    /// (case-insensitive).
    pub fn preset(name: &str) -> Result<Self, Error> {
        let block = Self {
            granularity: Granularity::Block,
            window: 1,
            propagation: Propagation::Local,
            epochs: 10,
            lr: 2e-4,
            betas: (0.9, 0.95),
            eps: 1e-8,
            weight_decay: 0.0,
            batch_size: 8,
            early_stop: false,
            errors_every_epoch: true,
            seed: 0,
        };
        match name.to_ascii_lowercase().as_str() {
            "lr" => Ok(Self { granularity: Granularity::Layer, epochs: 0, ..block }),
            "br" => Ok(block),
            "br+gp" => Ok(Self { propagation: Propagation::Global, ..block }),
            "br+gp+cr" => Ok(Self { propagation: Propagation::Global, window: 2, ..block }),
            _ => Err(Error::UnknownTechnique { given: name.to_owned(), allowed: PRESETS.to_vec() }),
        }
    }

    /// The canonical name of the technique, e.g. `br+gp` (what run records show).
    pub fn name(&self) -> String {
        let mut name = match self.granularity {
            Granularity::Layer => "lr".to_owned(),
            Granularity::Block => "br".to_owned(),
        };
        if self.propagation == Propagation::Global {
            name.push_str("+gp");
        }
        if self.window > 1 {
            name.push_str("+cr");
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_through_their_names() {
        for name in PRESETS {
            assert_eq!(ReconConfig::preset(name).expect("known preset").name(), name);
        }
        assert_eq!(ReconConfig::preset("BR+GP").expect("case-insensitive").name(), "br+gp");
    }

    #[test]
    fn lr_trains_nothing_and_br_follows_the_paper() {
        let lr = ReconConfig::preset("lr").expect("lr");
        assert_eq!((lr.granularity, lr.epochs), (Granularity::Layer, 0));
        let br = ReconConfig::preset("br").expect("br");
        assert_eq!((br.epochs, br.batch_size, br.lr, br.betas), (10, 8, 2e-4, (0.9, 0.95)));
        assert_eq!(br.propagation, Propagation::Local);
    }

    #[test]
    fn unknown_names_list_the_allowed_ones() {
        let err = ReconConfig::preset("cr").expect_err("cr needs br+gp");
        assert_eq!(err.to_string(), "unknown reconstruction 'cr'; expected one of: lr, br, br+gp, br+gp+cr");
    }
}
