//! Resumable runs: after every finished block the driver writes that block's
//! weights, the blocks it carries into the next window (CR) and a state file, each
//! through a temporary name and a rename, so a run killed at any instant leaves a
//! consistent state. Resuming replays the finished blocks (streams are advanced
//! through them again — a forward pass, no pruning or training) and continues with
//! the next window; on the same machine the result is bit-identical.
//!
//! A state belongs to one run: the caller's key (resolved config, model and data
//! fingerprints) is stored with it, and a different key refuses to resume, naming
//! every entry that differs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secateurs_model::{Block, Model};
use secateurs_records::Report;
use serde::{Deserialize, Serialize};
use tch::{Device, Tensor};

use crate::Error;

/// Where a run keeps its state, what identifies it, and whether to continue it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    /// The state directory.
    pub dir: PathBuf,
    /// What identifies the run: entry name → value (config fields, fingerprints).
    pub key: BTreeMap<String, String>,
    /// Continue from a state found in `dir` (else a state there is an error).
    pub continue_run: bool,
}

/// What the state file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub key: BTreeMap<String, String>,
    /// The first window not yet run.
    pub next_window: usize,
    /// Records of the windows and blocks so far.
    pub report: Report,
    /// SparseGPT dampings of blocks pruned but not yet finished.
    pub dampings: BTreeMap<usize, Vec<Option<f64>>>,
    /// Files of finished blocks, in order.
    pub finished: Vec<String>,
    /// Files of the blocks carried into the next window, in order.
    pub carried: Vec<String>,
}

const STATE_FILE: &str = "state.json";

impl Resume {
    /// Prepares the directory: returns the state to continue from, if any.
    pub(crate) fn open(&self) -> Result<Option<State>, Error> {
        let path = self.dir.join(STATE_FILE);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
            return Ok(None);
        }
        if !self.continue_run {
            return Err(Error::Invalid(format!(
                "{} holds the state of an interrupted run; pass --resume to continue it, or delete the folder to start again",
                self.dir.display()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let state: State = serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("{} is not a resume state: {e}", path.display())))?;
        let differences = differences(&state.key, &self.key);
        if !differences.is_empty() {
            return Err(Error::Invalid(format!("cannot resume from {}: {}", self.dir.display(), differences.join("; "))));
        }
        Ok(Some(state))
    }

    /// Writes a finished block's weights (before the state that names them).
    pub(crate) fn save_finished(&self, block: &mut Block) -> Result<String, Error> {
        let name = format!("block-{:05}.safetensors", block.index);
        self.write_block(block, &name)?;
        Ok(name)
    }

    /// Writes the carried blocks and then the state; removes files no state names.
    pub(crate) fn save_state(&self, state: &mut State, carried: &mut [Block]) -> Result<(), Error> {
        state.carried = Vec::new();
        for block in carried.iter_mut() {
            let name = format!("carried-w{:05}-b{:05}.safetensors", state.next_window, block.index);
            self.write_block(block, &name)?;
            state.carried.push(name);
        }
        let text = serde_json::to_string(state).map_err(|e| Error::Invalid(format!("cannot encode the resume state: {e}")))?;
        let path = self.dir.join(STATE_FILE);
        write_atomically(&path, |tmp| std::fs::write(tmp, &text).map_err(|e| Error::io(tmp, e)))?;
        let named: Vec<&String> = state.finished.iter().chain(&state.carried).collect();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if file.starts_with("carried-") && !named.contains(&&file) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// Block `index` of `model` with the weights saved in `file`.
    pub(crate) fn load_block(&self, model: &Model, index: usize, file: &str) -> Result<Block, Error> {
        let path = self.dir.join(file);
        let saved = Tensor::read_safetensors(&path).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
        let mut block = model.load_block(index)?;
        let device = model.device();
        for (name, tensor) in block.tensors_mut() {
            let (_, value) = saved.iter().find(|(n, _)| *n == name).ok_or_else(|| Error::Invalid(format!("{} has no tensor {name}", path.display())))?;
            *tensor = value.to_device(device);
        }
        Ok(block)
    }

    /// Removes the state directory after a successful run.
    pub fn remove(&self) -> Result<(), Error> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.dir, e)),
            _ => Ok(()),
        }
    }

    fn write_block(&self, block: &mut Block, name: &str) -> Result<(), Error> {
        let path = self.dir.join(name);
        let tensors: Vec<(String, Tensor)> = block.tensors_mut().into_iter().map(|(n, t)| (n, t.to_device(Device::Cpu).contiguous())).collect();
        write_atomically(&path, |tmp| Tensor::write_safetensors(&tensors, tmp).map_err(|e| Error::Invalid(format!("cannot write {}: {e}", tmp.display()))))
    }
}

/// Writes through `<path>.tmp` and renames.
fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<(), Error>) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// "NAME was A, now B" for every entry that differs between two keys.
pub(crate) fn differences(saved: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = saved.keys().chain(now.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (a, b) = (saved.get(name), now.get(name));
            (a != b).then(|| format!("{name} was {}, now {}", a.map_or("unset", String::as_str), b.map_or("unset", String::as_str)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_changed_entry() {
        let key = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
        let saved = key(&[("config.epochs", "5"), ("model", "abc"), ("calib", "111")]);
        let now = key(&[("config.epochs", "3"), ("model", "abc"), ("heldout", "222")]);
        assert_eq!(differences(&saved, &now), vec!["calib was 111, now unset", "config.epochs was 5, now 3", "heldout was unset, now 222"]);
        assert!(differences(&saved, &saved).is_empty());
    }
}
