//! Parsing of the small option values every command shares: devices and dtypes,
//! with errors that list the allowed values.

use anyhow::bail;
use tch::{Device, Kind};

/// `cpu`, `cuda` or `cuda:N`.
pub fn device(text: &str) -> anyhow::Result<Device> {
    let device = match text {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        _ => match text.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => Device::Cuda(n),
            None => bail!("unknown device '{text}'; expected one of: cpu, cuda, cuda:N"),
        },
    };
    if let Device::Cuda(n) = device
        && n >= tch::Cuda::device_count() as usize
    {
        bail!("device '{text}' is not available: this machine has {} CUDA device(s)", tch::Cuda::device_count());
    }
    Ok(device)
}

/// `f32`, `bf16` or `f16`.
pub fn kind(text: &str) -> anyhow::Result<Kind> {
    Ok(match text {
        "f32" => Kind::Float,
        "bf16" => Kind::BFloat16,
        "f16" => Kind::Half,
        _ => bail!("unknown dtype '{text}'; expected one of: f32, bf16, f16"),
    })
}

/// The name of a kind as users write it.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::BFloat16 => "bf16",
        Kind::Half => "f16",
        _ => "f32",
    }
}

/// Writes `value` as pretty JSON to `path` atomically (a temporary file, renamed).
pub fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    use anyhow::Context;
    let tmp = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(&tmp, text + "\n").with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
