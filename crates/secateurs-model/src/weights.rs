//! The weight index of a checkpoint: every tensor's name, dtype, shape and file, read
//! from the safetensors headers alone (a few KB per file), never from the data.
//!
//! Handles a single `model.safetensors` and the sharded layout transformers writes
//! (`model-0000x-of-0000y.safetensors` listed in `model.safetensors.index.json`).
//! Each header is checked against the file size, so a truncated download is caught
//! here rather than deep inside a forward pass.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use safetensors::Dtype;
use serde::Deserialize;

use crate::Error;

/// Largest header accepted; real headers are a few hundred KB at most.
const MAX_HEADER_BYTES: u64 = 100 << 20;

/// One tensor of a checkpoint, as its header describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Element type on disk.
    pub dtype: Dtype,
    /// Shape, outermost first.
    pub shape: Vec<usize>,
    /// The safetensors file holding it.
    pub file: PathBuf,
    /// Byte range of its data, relative to the start of the data section.
    pub data_offsets: (usize, usize),
    /// Where the file's data section starts (8 + header length).
    pub data_start: u64,
}

impl TensorInfo {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Every tensor of a checkpoint by name (sorted, so listings are stable).
#[derive(Debug, Clone, Default)]
pub struct WeightIndex {
    tensors: BTreeMap<String, TensorInfo>,
}

impl WeightIndex {
    /// Indexes the weights of a checkpoint directory: `model.safetensors.index.json`
    /// when present (sharded), else `model.safetensors`.
    pub fn from_dir(dir: &Path) -> Result<Self, Error> {
        let index = dir.join("model.safetensors.index.json");
        let single = dir.join("model.safetensors");
        if index.is_file() {
            Self::from_sharded_index(&index)
        } else if single.is_file() {
            Self::from_files(&[single])
        } else {
            Err(Error::MissingFile {
                dir: dir.to_owned(),
                wanted: "model.safetensors or model.safetensors.index.json".to_owned(),
            })
        }
    }

    /// Indexes the shards named by a `model.safetensors.index.json`, checking that
    /// each tensor sits in the shard the index says.
    pub fn from_sharded_index(index_path: &Path) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct ShardIndex {
            weight_map: HashMap<String, String>,
        }
        let text = std::fs::read_to_string(index_path).map_err(|e| Error::io(index_path, e))?;
        let index: ShardIndex =
            serde_json::from_str(&text).map_err(|e| Error::malformed(index_path, e))?;
        let dir = index_path.parent().unwrap_or(Path::new("."));
        let mut shards: Vec<PathBuf> = index.weight_map.values().map(|f| dir.join(f)).collect();
        shards.sort();
        shards.dedup();
        let weights = Self::from_files(&shards)?;
        for (name, shard) in &index.weight_map {
            match weights.get(name) {
                Some(info) if info.file == dir.join(shard) => {}
                _ => {
                    return Err(Error::malformed(
                        index_path,
                        format!("tensor '{name}' is not in shard '{shard}'"),
                    ));
                }
            }
        }
        Ok(weights)
    }

    /// Indexes the given safetensors files; a name present in two files is an error.
    pub fn from_files(files: &[PathBuf]) -> Result<Self, Error> {
        let mut tensors = BTreeMap::new();
        for file in files {
            for (name, info) in read_header(file)? {
                if let Some(previous) = tensors.insert(name.clone(), info) {
                    return Err(Error::malformed(
                        file,
                        format!("tensor '{name}' also appears in {}", previous.file.display()),
                    ));
                }
            }
        }
        Ok(Self { tensors })
    }

    /// The tensor of that name, if any.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.get(name)
    }

    /// All tensors, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TensorInfo)> {
        self.tensors.iter().map(|(name, info)| (name.as_str(), info))
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether the checkpoint has no tensor.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Total number of parameters.
    pub fn num_params(&self) -> usize {
        self.tensors.values().map(TensorInfo::numel).sum()
    }

    /// Count of tensors per dtype, e.g. `{F32: 272}`.
    pub fn dtypes(&self) -> BTreeMap<Dtype, usize> {
        let mut counts = BTreeMap::new();
        for info in self.tensors.values() {
            *counts.entry(info.dtype).or_insert(0) += 1;
        }
        counts
    }
}

/// Reads one safetensors header and checks it against the file's length.
fn read_header(path: &Path) -> Result<Vec<(String, TensorInfo)>, Error> {
    #[derive(Deserialize)]
    struct RawInfo {
        dtype: Dtype,
        shape: Vec<usize>,
        data_offsets: (usize, usize),
    }
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes).map_err(|e| Error::io(path, e))?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_BYTES || header_len + 8 > file_len {
        return Err(Error::malformed(path, format!("header length {header_len} exceeds the file")));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(|e| Error::io(path, e))?;
    let mut raw: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| Error::malformed(path, e))?;
    raw.remove("__metadata__");

    let data_len = file_len - 8 - header_len;
    let mut tensors = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        let info: RawInfo = serde_json::from_value(value)
            .map_err(|e| Error::malformed(path, format!("tensor '{name}': {e}")))?;
        let (start, end) = info.data_offsets;
        let expected = info.shape.iter().product::<usize>() * info.dtype.size();
        if end < start || end - start != expected || end as u64 > data_len {
            return Err(Error::malformed(
                path,
                format!(
                    "tensor '{name}' ({:?} {:?}) has data offsets {start}..{end} but needs \
                     {expected} bytes within {data_len} (truncated file?)",
                    info.dtype, info.shape
                ),
            ));
        }
        let tensor = TensorInfo {
            dtype: info.dtype,
            shape: info.shape,
            file: path.to_owned(),
            data_offsets: info.data_offsets,
            data_start: 8 + header_len,
        };
        tensors.push((name, tensor));
    }
    Ok(tensors)
}
