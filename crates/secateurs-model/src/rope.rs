//! Rotary position embeddings: inverse frequencies from the config (`default`,
//! `linear`, `llama3`), cos/sin for given positions, and their application with the
//! rotate-half convention every supported family uses, on the first `dim` channels
//! of each head (partial rotary for GPT-NeoX).

use tch::{Kind, Tensor};

use crate::config::ModelConfig;
use crate::Error;

/// Rope types implemented, for error messages.
const ROPE_TYPES: &str = "default, linear, llama3";

/// Rotary settings of one kind of layer.
#[derive(Debug, Clone)]
pub struct RopeSpec {
    /// Inverse frequencies, `dim / 2` of them.
    pub inv_freq: Vec<f64>,
    /// Channels rotated per head (≤ head_dim).
    pub dim: i64,
}

impl RopeSpec {
    /// Reads `rope_type`, `rope_theta`, `factor`, … from a rope parameters object.
    pub fn from_config(
        c: &ModelConfig,
        params: serde_json::Map<String, serde_json::Value>,
        head_dim: i64,
    ) -> Result<Self, Error> {
        let num = |key: &str| params.get(key).and_then(serde_json::Value::as_f64);
        let theta = num("rope_theta").or(num("rotary_emb_base")).unwrap_or(10000.0);
        let partial = num("partial_rotary_factor").or(num("rotary_pct")).unwrap_or(1.0);
        let dim = (head_dim as f64 * partial) as i64;
        let base: Vec<f64> = (0..dim / 2).map(|i| 1.0 / theta.powf(2.0 * i as f64 / dim as f64)).collect();
        let kind = params.get("rope_type").or(params.get("type")).and_then(|v| v.as_str()).unwrap_or("default");
        let inv_freq = match kind {
            "default" => base,
            "linear" => {
                let factor = num("factor").unwrap_or(1.0);
                base.into_iter().map(|f| f / factor).collect()
            }
            "llama3" => {
                let factor = num("factor").unwrap_or(8.0);
                let low = num("low_freq_factor").unwrap_or(1.0);
                let high = num("high_freq_factor").unwrap_or(4.0);
                let context = num("original_max_position_embeddings")
                    .unwrap_or(c.max_position_embeddings.unwrap_or(8192) as f64);
                base.into_iter().map(|f| llama3_frequency(f, factor, low, high, context)).collect()
            }
            other => return Err(Error::Unsupported(format!("rope_type '{other}'; supported: {ROPE_TYPES}"))),
        };
        Ok(Self { inv_freq, dim })
    }

    /// cos and sin `[b, T, dim]` (f32) for positions `[b, T]`.
    pub fn cos_sin(&self, positions: &Tensor) -> (Tensor, Tensor) {
        let inv = Tensor::from_slice(&self.inv_freq).to_kind(Kind::Float).to_device(positions.device());
        let freqs = positions.to_kind(Kind::Float).unsqueeze(-1) * inv; // [b, T, dim/2]
        let emb = Tensor::cat(&[&freqs, &freqs], -1); // [b, T, dim]
        (emb.cos(), emb.sin())
    }
}

/// Llama 3's frequency-dependent scaling: long wavelengths are divided by `factor`,
/// short ones kept, the band between interpolated.
fn llama3_frequency(freq: f64, factor: f64, low: f64, high: f64, context: f64) -> f64 {
    let wavelen = 2.0 * std::f64::consts::PI / freq;
    let (low_wavelen, high_wavelen) = (context / low, context / high);
    if wavelen < high_wavelen {
        freq
    } else if wavelen > low_wavelen {
        freq / factor
    } else {
        let smooth = (context / wavelen - low) / (high - low);
        (1.0 - smooth) * freq / factor + smooth * freq
    }
}

/// Rotates the first `cos.size(-1)` channels of `x: [b, h, T, d]` by positions;
/// `cos`, `sin`: `[b, T, dim]`.
pub fn apply_rotary(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Tensor {
    let dim = cos.size()[2];
    let d = x.size()[3];
    let (cos, sin) = (cos.unsqueeze(1).to_kind(x.kind()), sin.unsqueeze(1).to_kind(x.kind()));
    let rot = x.narrow(3, 0, dim);
    let half = dim / 2;
    let rotated = Tensor::cat(&[-rot.narrow(3, half, half), rot.narrow(3, 0, half)], -1);
    let out = &rot * cos + rotated * sin;
    if dim == d { out } else { Tensor::cat(&[out, x.narrow(3, dim, d - dim)], -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama3_scaling_keeps_high_and_divides_low_frequencies() {
        // context 16, low 1, high 4: wavelengths below 4 kept, above 16 divided by 8.
        assert_eq!(llama3_frequency(2.0, 8.0, 1.0, 4.0, 16.0), 2.0);
        assert!((llama3_frequency(0.1, 8.0, 1.0, 4.0, 16.0) - 0.1 / 8.0).abs() < 1e-12);
        let mid = llama3_frequency(2.0 * std::f64::consts::PI / 8.0, 8.0, 1.0, 4.0, 16.0);
        // wavelength 8: smooth = (16/8 − 1)/3 = 1/3.
        let f = 2.0 * std::f64::consts::PI / 8.0;
        assert!((mid - (2.0 / 3.0 * f / 8.0 + f / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn rotation_at_position_zero_is_identity_and_preserves_norm() {
        let spec = RopeSpec { inv_freq: vec![1.0, 0.1], dim: 4 };
        let x = Tensor::randn([1, 2, 3, 6], (Kind::Float, tch::Device::Cpu));
        let positions = Tensor::from_slice(&[0i64, 1, 2]).view([1, 3]);
        let (cos, sin) = spec.cos_sin(&positions);
        let y = apply_rotary(&x, &cos, &sin);
        assert!(y.narrow(2, 0, 1).allclose(&x.narrow(2, 0, 1), 1e-6, 1e-6, false));
        // Rotations preserve each pair's norm; the last 2 channels pass through.
        let norm = |t: &Tensor| t.narrow(3, 0, 4).square().sum_dim_intlist(3, false, Kind::Float);
        assert!(norm(&y).allclose(&norm(&x), 1e-5, 1e-5, false));
        assert!(y.narrow(3, 4, 2).equal(&x.narrow(3, 4, 2)));
    }
}
