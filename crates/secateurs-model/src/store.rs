//! Reading single tensors from a checkpoint on demand, so a model larger than memory
//! can be walked block by block: each read is a positioned read (`pread`) of exactly
//! that tensor's bytes, served by the OS page cache like a memory mapping would be,
//! without `unsafe` and without keeping the file mapped.

use std::os::unix::fs::FileExt;

use safetensors::Dtype;
use tch::{Device, Kind, Tensor};

use crate::weights::{TensorInfo, WeightIndex};
use crate::Error;

/// A checkpoint's tensors, read lazily, converted to a compute dtype and device.
#[derive(Debug, Clone)]
pub struct TensorStore {
    index: WeightIndex,
    kind: Kind,
    device: Device,
}

impl TensorStore {
    /// Tensors of `index`, to be delivered as `kind` on `device`.
    pub fn new(index: WeightIndex, kind: Kind, device: Device) -> Self {
        Self { index, kind, device }
    }

    /// The compute dtype.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The compute device.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Reads tensor `name` in the compute dtype and device, checking its shape.
    pub fn get(&self, name: &str, shape: &[i64]) -> Result<Tensor, Error> {
        let found = shape_of(self.info(name)?);
        if found != shape {
            return Err(Error::Tensor { name: name.into(), message: format!("has shape {found:?}, expected {shape:?}") });
        }
        self.load(name)
    }

    /// Reads tensor `name` in the compute dtype and device, whatever its shape.
    pub fn load(&self, name: &str) -> Result<Tensor, Error> {
        Ok(self.read_stored(name)?.to_device(self.device).to_kind(self.kind))
    }

    /// Reads tensor `name` as stored: its own dtype, on the CPU.
    pub fn read_stored(&self, name: &str) -> Result<Tensor, Error> {
        read(self.info(name)?, name)
    }

    fn info(&self, name: &str) -> Result<&TensorInfo, Error> {
        self.index.get(name).ok_or_else(|| Error::Tensor { name: name.into(), message: "missing from the checkpoint".into() })
    }
}

fn shape_of(info: &TensorInfo) -> Vec<i64> {
    info.shape.iter().map(|&d| d as i64).collect()
}

/// The libtorch kind of a safetensors dtype we can read.
pub(crate) fn kind_of(dtype: Dtype) -> Option<Kind> {
    Some(match dtype {
        Dtype::F32 => Kind::Float,
        Dtype::F16 => Kind::Half,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::F64 => Kind::Double,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        _ => return None,
    })
}

/// Reads one tensor's bytes from its file into a CPU tensor of its stored dtype.
fn read(info: &TensorInfo, name: &str) -> Result<Tensor, Error> {
    let kind = kind_of(info.dtype)
        .ok_or_else(|| Error::Tensor { name: name.into(), message: format!("unsupported dtype {:?}", info.dtype) })?;
    let (start, end) = info.data_offsets;
    let mut bytes = vec![0u8; end - start];
    let file = std::fs::File::open(&info.file).map_err(|e| Error::io(&info.file, e))?;
    file.read_exact_at(&mut bytes, info.data_start + start as u64).map_err(|e| Error::io(&info.file, e))?;
    Ok(Tensor::f_from_data_size(&bytes, &shape_of(info), kind)?)
}
