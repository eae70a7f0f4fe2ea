//! Architectures as data: everything that differs between the supported families —
//! norms, biases, activation, positions, attention scaling, weight names — resolved
//! once from `config.json` into an [`Arch`]. The forward code reads these fields; it
//! never branches on a model name.

use crate::config::ModelConfig;
use crate::rope::RopeSpec;
use crate::Error;

/// One decoder implementation per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Llama 1/2/3, Mistral, SmolLM2, Qwen2, Qwen3: pre-RMSNorm, rotary, gated MLP.
    Llama,
    /// Gemma 3 text: four (1 + w) RMSNorms per block, scaled embeddings, sliding layers.
    Gemma3,
    /// OPT: LayerNorm, learned positions (offset 2), ReLU MLP, biases everywhere.
    Opt,
    /// GPT-NeoX / Pythia: fused QKV, partial rotary, (optionally) parallel residual.
    GptNeox,
    /// GPT-2: Conv1D weights, fused QKV, learned positions.
    Gpt2,
}

/// Normalisation layer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormKind {
    /// RMSNorm, `w · x / rms(x)`.
    Rms,
    /// Gemma's RMSNorm, `(1 + w) · x / rms(x)`.
    RmsOffset,
    /// LayerNorm with weight and bias.
    Layer,
}

/// MLP activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// x · sigmoid(x).
    Silu,
    /// GELU, exact (erf).
    Gelu,
    /// GELU, tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    GeluTanh,
    /// max(x, 0).
    Relu,
}

/// model_type values accepted, for error messages.
pub const SUPPORTED: [&str; 8] = ["llama", "mistral", "qwen2", "qwen3", "gemma3_text", "opt", "gpt_neox", "gpt2"];

/// The resolved architecture of a checkpoint.
#[derive(Debug, Clone)]
pub struct Arch {
    /// Decoder family.
    pub family: Family,
    /// Residual width.
    pub hidden: i64,
    /// Query heads.
    pub heads: i64,
    /// Key/value heads (grouped-query attention when fewer than `heads`).
    pub kv_heads: i64,
    /// Width of one head.
    pub head_dim: i64,
    /// Number of decoder blocks.
    pub layers: usize,
    /// MLP width.
    pub ffn: i64,
    /// Vocabulary size.
    pub vocab: i64,
    /// Norm kind.
    pub norm: NormKind,
    /// Norm epsilon.
    pub norm_eps: f64,
    /// Biases on q/k/v, on the attention output, on the MLP.
    pub qkv_bias: bool,
    /// Bias on the attention output projection.
    pub out_bias: bool,
    /// Biases on the MLP linears.
    pub mlp_bias: bool,
    /// RMSNorm of queries and keys per head (Qwen3, Gemma3).
    pub qk_norm: bool,
    /// MLP activation.
    pub activation: Activation,
    /// Pre-norm (true) or post-norm (OPT with do_layer_norm_before = false).
    pub pre_norm: bool,
    /// Attention and MLP read the same input and are summed (GPT-NeoX).
    pub parallel_residual: bool,
    /// Multiplier of attention scores.
    pub attn_scale: f64,
    /// tanh soft-capping of the final logits.
    pub final_softcap: Option<f64>,
    /// Multiplier of token embeddings (Gemma: √hidden).
    pub embed_scale: Option<f64>,
    /// Learned absolute positions and their index offset (OPT: 2, GPT-2: 0).
    pub learned_positions: Option<i64>,
    /// Rotary settings, one per kind of layer; empty with learned positions.
    pub ropes: Vec<RopeSpec>,
    /// Per layer: index into `ropes`.
    pub layer_rope: Vec<usize>,
    /// Per layer: attention window (keys within `window` positions), if sliding.
    pub layer_window: Vec<Option<i64>>,
    /// LM head shares the embedding matrix.
    pub tied: bool,
    /// Weights stored `[in, out]` (GPT-2's Conv1D).
    pub conv1d: bool,
}

impl Arch {
    /// Resolves the architecture of a config; unknown `model_type`s list the supported ones.
    pub fn from_config(c: &ModelConfig) -> Result<Self, Error> {
        let family = match c.model_type.as_str() {
            "llama" | "mistral" | "qwen2" | "qwen3" => Family::Llama,
            "gemma3_text" => Family::Gemma3,
            "opt" => Family::Opt,
            "gpt_neox" => Family::GptNeox,
            "gpt2" => Family::Gpt2,
            other => {
                return Err(Error::Unsupported(format!(
                    "model_type '{other}'; supported: {}",
                    SUPPORTED.join(", ")
                )));
            }
        };
        let head_dim = c.head_dim() as i64;
        let layers = c.num_hidden_layers;
        let mut arch = Self {
            family,
            hidden: c.hidden_size as i64,
            heads: c.num_attention_heads as i64,
            kv_heads: c.kv_heads() as i64,
            head_dim,
            layers,
            ffn: c.extra.get("intermediate_size").or(c.extra.get("ffn_dim")).or(c.extra.get("n_inner"))
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(4 * c.hidden_size as i64),
            vocab: c.vocab_size as i64,
            norm: NormKind::Rms,
            norm_eps: c.f64_or("rms_norm_eps", 1e-6),
            qkv_bias: c.bool_or("attention_bias", false),
            out_bias: c.bool_or("attention_bias", false),
            mlp_bias: c.bool_or("mlp_bias", false),
            qk_norm: false,
            activation: activation(c.str_or("hidden_act", "silu"))?,
            pre_norm: true,
            parallel_residual: false,
            attn_scale: (head_dim as f64).powf(-0.5),
            final_softcap: None,
            embed_scale: None,
            learned_positions: None,
            ropes: Vec::new(),
            layer_rope: vec![0; layers],
            layer_window: vec![None; layers],
            tied: c.tie_word_embeddings.unwrap_or(false),
            conv1d: false,
        };
        match c.model_type.as_str() {
            "qwen2" => {
                arch.qkv_bias = true;
                arch.out_bias = false;
            }
            "qwen3" => arch.qk_norm = true,
            _ => {}
        }
        match family {
            Family::Llama => {
                arch.ropes = vec![RopeSpec::from_config(c, rope_params(c, None), head_dim)?];
                let sliding = c.model_type == "mistral" || c.bool_or("use_sliding_window", false);
                if let Some(window) = c.extra.get("sliding_window").and_then(|v| v.as_i64()).filter(|_| sliding) {
                    arch.layer_window = vec![Some(window); layers];
                }
            }
            Family::Gemma3 => {
                arch.norm = NormKind::RmsOffset;
                arch.qk_norm = true;
                arch.activation = activation(c.str_or("hidden_activation", "gelu_pytorch_tanh"))?;
                arch.attn_scale = c.f64_or("query_pre_attn_scalar", head_dim as f64).powf(-0.5);
                // attn_logit_softcapping is not read: transformers' Gemma 3 never passes it
                // to its attention function, and we stay identical to transformers.
                arch.final_softcap = c.extra.get("final_logit_softcapping").and_then(|v| v.as_f64());
                arch.embed_scale = Some((c.hidden_size as f64).sqrt());
                arch.tied = c.tie_word_embeddings.unwrap_or(true);
                let full = RopeSpec::from_config(c, rope_params(c, Some("full_attention")), head_dim)?;
                let local = RopeSpec::from_config(c, rope_params(c, Some("sliding_attention")), head_dim)?;
                arch.ropes = vec![full, local];
                let window = c.extra.get("sliding_window").and_then(|v| v.as_i64());
                let types = c.extra.get("layer_types").and_then(|v| v.as_array()).cloned().unwrap_or_default();
                for (i, kind) in types.iter().enumerate().take(layers) {
                    if kind.as_str() == Some("sliding_attention") {
                        arch.layer_rope[i] = 1;
                        arch.layer_window[i] = window;
                    }
                }
            }
            Family::Opt => {
                if c.extra.get("word_embed_proj_dim").and_then(|v| v.as_i64()).is_some_and(|d| d != arch.hidden) {
                    return Err(Error::Unsupported("OPT with word_embed_proj_dim != hidden_size (project_in/out)".into()));
                }
                arch.norm = NormKind::Layer;
                arch.norm_eps = 1e-5;
                let bias = c.bool_or("enable_bias", true);
                (arch.qkv_bias, arch.out_bias, arch.mlp_bias) = (bias, bias, bias);
                arch.activation = activation(c.str_or("activation_function", "relu"))?;
                arch.pre_norm = c.bool_or("do_layer_norm_before", true);
                arch.learned_positions = Some(2);
                arch.tied = c.tie_word_embeddings.unwrap_or(true);
            }
            Family::GptNeox => {
                arch.norm = NormKind::Layer;
                arch.norm_eps = c.f64_or("layer_norm_eps", 1e-5);
                let bias = c.bool_or("attention_bias", true);
                (arch.qkv_bias, arch.out_bias, arch.mlp_bias) = (bias, bias, true);
                arch.activation = activation(c.str_or("hidden_act", "gelu"))?;
                arch.parallel_residual = c.bool_or("use_parallel_residual", true);
                arch.ropes = vec![RopeSpec::from_config(c, rope_params(c, None), head_dim)?];
            }
            Family::Gpt2 => {
                arch.norm = NormKind::Layer;
                arch.norm_eps = c.f64_or("layer_norm_epsilon", 1e-5);
                (arch.qkv_bias, arch.out_bias, arch.mlp_bias) = (true, true, true);
                arch.activation = activation(c.str_or("activation_function", "gelu_new"))?;
                arch.learned_positions = Some(0);
                arch.tied = c.tie_word_embeddings.unwrap_or(true);
                arch.conv1d = true;
            }
        }
        Ok(arch)
    }
}

/// The rope parameters object: `rope_parameters` (per layer type for Gemma 3), or the
/// legacy `rope_theta` / `rope_scaling` keys.
fn rope_params(c: &ModelConfig, layer_type: Option<&str>) -> serde_json::Map<String, serde_json::Value> {
    let mut params = match c.extra.get("rope_parameters") {
        Some(serde_json::Value::Object(p)) => match layer_type.and_then(|t| p.get(t)) {
            Some(serde_json::Value::Object(inner)) => inner.clone(),
            _ => p.clone(),
        },
        _ => c.extra.get("rope_scaling").and_then(|v| v.as_object()).cloned().unwrap_or_default(),
    };
    for legacy in ["rope_theta", "rotary_emb_base", "partial_rotary_factor", "rotary_pct"] {
        if let Some(value) = c.extra.get(legacy) {
            params.entry(legacy).or_insert_with(|| value.clone());
        }
    }
    params
}

fn activation(name: &str) -> Result<Activation, Error> {
    match name {
        "silu" | "swish" => Ok(Activation::Silu),
        "gelu" => Ok(Activation::Gelu),
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
        "relu" => Ok(Activation::Relu),
        other => Err(Error::Unsupported(format!(
            "activation '{other}'; supported: silu, gelu, gelu_new, gelu_pytorch_tanh, relu"
        ))),
    }
}

/// Where a family keeps its tensors, by Hugging Face name.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// Token embedding matrix.
    pub embed: &'static str,
    /// Learned position embeddings, if any.
    pub positions: Option<&'static str>,
    /// Prefix of block `i`'s tensors, followed by the index and a dot.
    pub layers: &'static str,
    /// Final norm (prefix of `.weight` / `.bias`).
    pub final_norm: &'static str,
    /// Untied LM head.
    pub head: &'static str,
    /// Linears of a block, in their fixed order.
    pub linears: &'static [&'static str],
    /// Norms of a block, in their fixed order (q/k norms last when present).
    pub norms: &'static [&'static str],
}

const LLAMA_LINEARS: &[&str] = &[
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj",
];

/// Llama's layout, shared by Mistral, Qwen and Gemma 3 (which add norms).
const LLAMA_NAMES: Names = Names {
    embed: "model.embed_tokens.weight",
    positions: None,
    layers: "model.layers.",
    final_norm: "model.norm",
    head: "lm_head.weight",
    linears: LLAMA_LINEARS,
    norms: &["input_layernorm", "post_attention_layernorm"],
};

impl Arch {
    /// The prefix of block `i`'s tensor names, e.g. `model.layers.3.`.
    pub fn block_prefix(&self, i: usize) -> String {
        format!("{}{i}.", self.names().layers)
    }

    /// The tensor names of this family.
    pub fn names(&self) -> Names {
        match self.family {
            Family::Llama if self.qk_norm => Names {
                norms: &["input_layernorm", "post_attention_layernorm", "self_attn.q_norm", "self_attn.k_norm"],
                ..LLAMA_NAMES
            },
            Family::Llama => LLAMA_NAMES,
            Family::Gemma3 => Names {
                norms: &[
                    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                    "post_feedforward_layernorm", "self_attn.q_norm", "self_attn.k_norm",
                ],
                ..LLAMA_NAMES
            },
            Family::Opt => Names {
                embed: "model.decoder.embed_tokens.weight",
                positions: Some("model.decoder.embed_positions.weight"),
                layers: "model.decoder.layers.",
                final_norm: "model.decoder.final_layer_norm",
                head: "lm_head.weight",
                linears: &["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "fc1", "fc2"],
                norms: &["self_attn_layer_norm", "final_layer_norm"],
            },
            Family::GptNeox => Names {
                embed: "gpt_neox.embed_in.weight",
                positions: None,
                layers: "gpt_neox.layers.",
                final_norm: "gpt_neox.final_layer_norm",
                head: "embed_out.weight",
                linears: &["attention.query_key_value", "attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"],
                norms: &["input_layernorm", "post_attention_layernorm"],
            },
            Family::Gpt2 => Names {
                embed: "transformer.wte.weight",
                positions: Some("transformer.wpe.weight"),
                layers: "transformer.h.",
                final_norm: "transformer.ln_f",
                head: "lm_head.weight",
                linears: &["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"],
                norms: &["ln_1", "ln_2"],
            },
        }
    }

    /// `[out, in]` and bias flag of each linear of a block, in `names().linears` order.
    pub fn linear_shapes(&self) -> Vec<([i64; 2], bool)> {
        let (h, q, kv, f) = (self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim, self.ffn);
        let (qkv, out, mlp) = (self.qkv_bias, self.out_bias, self.mlp_bias);
        match self.family {
            Family::Llama | Family::Gemma3 => vec![
                ([q, h], qkv), ([kv, h], qkv), ([kv, h], qkv), ([h, q], out),
                ([f, h], mlp), ([f, h], mlp), ([h, f], mlp),
            ],
            Family::Opt => vec![([q, h], qkv), ([kv, h], qkv), ([kv, h], qkv), ([h, q], out), ([f, h], mlp), ([h, f], mlp)],
            Family::GptNeox | Family::Gpt2 => vec![([3 * q, h], qkv), ([h, q], out), ([f, h], mlp), ([h, f], mlp)],
        }
    }

    /// Number of linears belonging to attention (the rest are the MLP's).
    pub fn attention_linears(&self) -> usize {
        match self.family {
            Family::GptNeox | Family::Gpt2 => 2,
            _ => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_model_types_list_the_supported_ones() {
        let config = ModelConfig::from_json(
            r#"{"model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 4}"#,
        )
        .expect("parses");
        let err = Arch::from_config(&config).expect_err("unsupported");
        assert_eq!(
            err.to_string(),
            "unsupported model_type 'mamba'; supported: llama, mistral, qwen2, qwen3, gemma3_text, opt, gpt_neox, gpt2"
        );
    }

    #[test]
    fn smollm2_style_llama_resolves_as_data() {
        let config = ModelConfig::from_json(
            r#"{"model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
                "num_key_value_heads": 3, "vocab_size": 49152, "intermediate_size": 1536, "rms_norm_eps": 1e-5,
                "tie_word_embeddings": true, "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0}}"#,
        )
        .expect("parses");
        let arch = Arch::from_config(&config).expect("llama");
        assert_eq!((arch.family, arch.norm, arch.activation), (Family::Llama, NormKind::Rms, Activation::Silu));
        assert_eq!((arch.kv_heads, arch.head_dim, arch.ffn, arch.tied), (3, 64, 1536, true));
        assert_eq!(arch.linear_shapes()[1], ([192, 576], false));
        assert!((arch.ropes[0].inv_freq[1] - 100000f64.powf(-2.0 / 64.0)).abs() < 1e-15);
    }
}
