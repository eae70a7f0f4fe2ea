//! Activation streams `[n, T, H]`: the sparse stream x, the dense stream x̄ and the
//! targets, kept on the compute device, in host memory or in a file on disk, stored
//! in f32 or bf16 and always handed out as f32 on the compute device, a few rows
//! (micro-batch) at a time. Rows are independent, so a stream is advanced in place.
//!
//! The disk store uses positioned reads and writes on a scratch file (removed when
//! the stream is dropped); it is not memory-mapped because the workspace forbids
//! `unsafe`, which every mmap binding needs.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use tch::{Device, Kind, Tensor};

use crate::Error;

/// Where streams live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On the compute device (fastest; device memory).
    Device,
    /// In host memory.
    Host,
    /// In scratch files under this directory.
    Disk(PathBuf),
}

impl Placement {
    /// `device`, `host` or `disk:<dir>`; the error lists the allowed forms.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "device" => Ok(Self::Device),
            "host" => Ok(Self::Host),
            _ => match text.strip_prefix("disk:") {
                Some(dir) if !dir.is_empty() => Ok(Self::Disk(PathBuf::from(dir))),
                _ => Err(Error::Invalid(format!("unknown stream placement '{text}'; expected one of: device, host, disk:<dir>"))),
            },
        }
    }

    /// The name run records show.
    pub fn name(&self) -> String {
        match self {
            Self::Device => "device".into(),
            Self::Host => "host".into(),
            Self::Disk(dir) => format!("disk:{}", dir.display()),
        }
    }
}

/// An activation stream of `rows` sequences of `[T, H]`.
#[derive(Debug)]
pub struct Stream {
    rows: i64,
    row_shape: [i64; 2],
    kind: Kind,
    compute: Device,
    store: Store,
}

#[derive(Debug)]
enum Store {
    Memory(Tensor),
    Disk { file: File, path: PathBuf },
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Store::Disk { path, .. } = &self.store {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Stream {
    /// An all-zero stream named `name` (the scratch file's name when on disk).
    pub fn zeros(name: &str, rows: i64, row_shape: [i64; 2], kind: Kind, placement: &Placement, compute: Device) -> Result<Self, Error> {
        let store = match placement {
            Placement::Device => Store::Memory(Tensor::zeros([rows, row_shape[0], row_shape[1]], (kind, compute))),
            Placement::Host => Store::Memory(Tensor::zeros([rows, row_shape[0], row_shape[1]], (kind, Device::Cpu))),
            Placement::Disk(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let path = dir.join(format!("{name}-{}.stream", std::process::id()));
                let file = File::options().read(true).write(true).create(true).truncate(true).open(&path).map_err(|e| Error::io(&path, e))?;
                let bytes = (rows * row_shape[0] * row_shape[1]) as u64 * kind.elt_size_in_bytes() as u64;
                file.set_len(bytes).map_err(|e| Error::io(&path, e))?;
                Store::Disk { file, path }
            }
        };
        Ok(Self { rows, row_shape, kind, compute, store })
    }

    /// A stream filled from `rows` micro-batches produced by `fill(start, count)`.
    pub fn build(
        name: &str,
        rows: i64,
        micro_batch: i64,
        kind: Kind,
        placement: &Placement,
        compute: Device,
        mut fill: impl FnMut(i64, i64) -> Result<Tensor, Error>,
    ) -> Result<Self, Error> {
        let mut stream: Option<Self> = None;
        for (start, count) in micro_batches(rows, micro_batch) {
            let batch = fill(start, count)?;
            if stream.is_none() {
                let size = batch.size();
                stream = Some(Self::zeros(name, rows, [size[1], size[2]], kind, placement, compute)?);
            }
            if let Some(stream) = stream.as_mut() {
                stream.write(start, &batch)?;
            }
        }
        stream.ok_or_else(|| Error::Invalid(format!("stream '{name}' has no rows")))
    }

    /// Number of sequences.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.rows as u64 * self.row_bytes() as u64
    }

    fn row_bytes(&self) -> usize {
        (self.row_shape[0] * self.row_shape[1]) as usize * self.kind.elt_size_in_bytes()
    }

    /// Rows `start..start + count` as f32 on the compute device. The result may share
    /// storage with the stream (device placement, f32): copy it to keep it past the
    /// next write.
    pub fn read(&self, start: i64, count: i64) -> Result<Tensor, Error> {
        let t = match &self.store {
            Store::Memory(t) => t.narrow(0, start, count),
            Store::Disk { file, path } => {
                let mut bytes = vec![0u8; self.row_bytes() * count as usize];
                file.read_exact_at(&mut bytes, start as u64 * self.row_bytes() as u64).map_err(|e| Error::io(path, e))?;
                Tensor::from_data_size(&bytes, &[count, self.row_shape[0], self.row_shape[1]], self.kind)
            }
        };
        Ok(t.to_device(self.compute).to_kind(Kind::Float))
    }

    /// The rows at `indices`, in that order, as f32 on the compute device.
    pub fn gather(&self, indices: &[i64]) -> Result<Tensor, Error> {
        match &self.store {
            Store::Memory(t) => {
                let index = Tensor::from_slice(indices).to_device(t.device());
                Ok(t.index_select(0, &index).to_device(self.compute).to_kind(Kind::Float))
            }
            Store::Disk { .. } => {
                let rows = indices.iter().map(|&i| self.read(i, 1)).collect::<Result<Vec<_>, _>>()?;
                Ok(Tensor::cat(&rows, 0))
            }
        }
    }

    /// Overwrites rows `start..start + batch.size()[0]` with `batch: [b, T, H]`.
    pub fn write(&mut self, start: i64, batch: &Tensor) -> Result<(), Error> {
        let _guard = tch::no_grad_guard();
        let count = batch.size()[0];
        let offset = start as u64 * self.row_bytes() as u64;
        let batch = batch.detach().to_kind(self.kind);
        match &mut self.store {
            Store::Memory(t) => {
                let batch = batch.to_device(t.device());
                t.narrow(0, start, count).copy_(&batch);
            }
            Store::Disk { file, path } => {
                let host = batch.to_device(Device::Cpu).contiguous();
                let mut bytes = vec![0u8; host.numel() * self.kind.elt_size_in_bytes()];
                host.copy_data_u8(&mut bytes, host.numel());
                file.write_all_at(&bytes, offset).map_err(|e| Error::io(path, e))?;
            }
        }
        Ok(())
    }

    /// Replaces every row `r` with `f(r)`, micro-batch by micro-batch.
    pub fn map_in_place(&mut self, micro_batch: i64, mut f: impl FnMut(&Tensor) -> Tensor) -> Result<(), Error> {
        for (start, count) in micro_batches(self.rows, micro_batch) {
            let out = f(&self.read(start, count)?);
            self.write(start, &out)?;
        }
        Ok(())
    }
}

/// `(start, count)` of consecutive micro-batches covering `rows`.
pub fn micro_batches(rows: i64, size: i64) -> impl Iterator<Item = (i64, i64)> {
    let size = size.max(1);
    (0..rows).step_by(size as usize).map(move |start| (start, size.min(rows - start)))
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placement_stores_and_returns_the_same_rows() {
        let data = Tensor::randn([5, 3, 4], (Kind::Float, Device::Cpu));
        let scratch = tempfile::tempdir().expect("temp dir");
        let dir = scratch.path().join("streams");
        for placement in [Placement::Device, Placement::Host, Placement::Disk(dir.clone())] {
            let mut s = Stream::build("x", 5, 2, Kind::Float, &placement, Device::Cpu, |start, count| Ok(data.narrow(0, start, count))).expect("build");
            assert!(s.read(0, 5).expect("read").equal(&data), "{placement:?}");
            assert!(s.gather(&[4, 0]).expect("gather").equal(&Tensor::cat(&[data.narrow(0, 4, 1), data.narrow(0, 0, 1)], 0)));
            s.map_in_place(3, |x| x * 2.0).expect("map");
            assert!(s.read(1, 3).expect("read").equal(&(data.narrow(0, 1, 3) * 2.0)), "{placement:?}");
        }
        assert!(std::fs::read_dir(&dir).expect("dir").next().is_none(), "scratch files removed on drop");
    }

    #[test]
    fn bf16_rounds_and_placements_parse() {
        let data = Tensor::from_slice(&[1.0f32, 1.001, -3.0, 0.5]).view([1, 2, 2]);
        let s = Stream::build("x", 1, 1, Kind::BFloat16, &Placement::Host, Device::Cpu, |_, _| Ok(data.shallow_clone())).expect("build");
        let back = s.read(0, 1).expect("read");
        assert_eq!(back.kind(), Kind::Float);
        assert!((back - &data).abs().max().double_value(&[]) < 0.01);
        assert_eq!(Placement::parse("disk:/tmp/x").expect("disk"), Placement::Disk("/tmp/x".into()));
        let err = Placement::parse("gpu").expect_err("unknown");
        assert_eq!(err.to_string(), "unknown stream placement 'gpu'; expected one of: device, host, disk:<dir>");
    }
}
