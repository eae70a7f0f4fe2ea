//! Opening checkpoint directories: tiny ones written here (single file and sharded,
//! intact and broken), and the real SmolLM2 asset when fetched.

use std::path::{Path, PathBuf};

use secateurs_model::{Checkpoint, Error, WeightIndex};
use tch::{Device, Kind, Tensor};

/// A fresh temporary folder for one test.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("secateurs-model-{name}-")).tempdir().expect("create temp dir")
}

const TINY_CONFIG: &str = r#"{"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
    "intermediate_size": 12, "tie_word_embeddings": true}"#;

fn tiny_tensors() -> Vec<(&'static str, Tensor)> {
    let opts = (Kind::Float, Device::Cpu);
    vec![
        ("model.embed_tokens.weight", Tensor::randn([16, 8], opts)),
        ("model.layers.0.self_attn.q_proj.weight", Tensor::randn([8, 8], opts)),
        ("model.layers.0.self_attn.k_proj.weight", Tensor::randn([4, 8], opts).to_kind(Kind::BFloat16)),
        ("model.layers.0.mlp.down_proj.weight", Tensor::randn([8, 12], opts).to_kind(Kind::Half)),
        ("model.norm.weight", Tensor::ones([8], opts)),
    ]
}

fn write_single(dir: &Path) {
    std::fs::write(dir.join("config.json"), TINY_CONFIG).expect("config");
    Tensor::write_safetensors(&tiny_tensors(), dir.join("model.safetensors")).expect("safetensors");
}

#[test]
fn indexes_a_single_file_checkpoint_without_loading_it() {
    let scratch = temp_dir("single");
    let dir = scratch.path();
    write_single(dir);
    let ckpt = Checkpoint::open(dir).expect("valid checkpoint");
    assert_eq!(ckpt.config.kv_heads(), 1);
    assert_eq!(ckpt.weights.len(), 5);
    assert_eq!(ckpt.weights.num_params(), 16 * 8 + 64 + 32 + 96 + 8);
    let k = ckpt.weights.get("model.layers.0.self_attn.k_proj.weight").expect("k_proj");
    assert_eq!((k.dtype, k.shape.clone()), (safetensors::Dtype::BF16, vec![4, 8]));
    assert!(ckpt.tokenizer.is_none() && ckpt.generation_config.is_none());
}

#[test]
fn indexes_sharded_checkpoints_and_checks_the_index() {
    let scratch = temp_dir("sharded");
    let dir = scratch.path();
    std::fs::write(dir.join("config.json"), TINY_CONFIG).expect("config");
    let tensors = tiny_tensors();
    let (first, second) = tensors.split_at(2);
    Tensor::write_safetensors(first, dir.join("model-00001-of-00002.safetensors")).expect("shard 1");
    Tensor::write_safetensors(second, dir.join("model-00002-of-00002.safetensors")).expect("shard 2");
    let map: Vec<String> = tensors
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("\"{name}\": \"model-0000{}-of-00002.safetensors\"", if i < 2 { 1 } else { 2 }))
        .collect();
    let index = format!("{{\"metadata\": {{}}, \"weight_map\": {{{}}}}}", map.join(", "));
    std::fs::write(dir.join("model.safetensors.index.json"), &index).expect("index");
    let weights = WeightIndex::from_dir(dir).expect("sharded checkpoint");
    assert_eq!(weights.len(), 5);
    let norm = weights.get("model.norm.weight").expect("norm");
    assert!(norm.file.ends_with("model-00002-of-00002.safetensors"));

    // An index that puts a tensor in the wrong shard is caught.
    let wrong = index.replacen("model-00001-of-00002", "model-00002-of-00002", 1);
    std::fs::write(dir.join("model.safetensors.index.json"), wrong).expect("index");
    let err = WeightIndex::from_dir(dir).expect_err("wrong shard");
    assert!(err.to_string().contains("is not in shard"), "{err}");
}

#[test]
fn truncated_weights_and_missing_files_are_named() {
    let scratch = temp_dir("broken");
    let dir = scratch.path();
    write_single(dir);
    let path = dir.join("model.safetensors");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() - 10]).expect("truncate");
    let err = Checkpoint::open(dir).expect_err("truncated");
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors"), "{err}");

    std::fs::remove_file(&path).expect("remove");
    let err = Checkpoint::open(dir).expect_err("no weights");
    assert!(err.to_string().contains("has no model.safetensors"), "{err}");

    std::fs::remove_file(dir.join("config.json")).expect("remove");
    let err = Checkpoint::open(dir).expect_err("no config");
    assert!(err.to_string().ends_with("has no config.json"), "{err}");
}

/// The real SmolLM2 asset (`cargo xtask fetch`).
#[test]
fn opens_the_real_smollm2_checkpoint() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/smollm2-135m");
    assert!(dir.is_dir(), "real assets missing: run `cargo xtask fetch`");
    let ckpt = Checkpoint::open(&dir).expect("SmolLM2 opens");
    let c = &ckpt.config;
    assert_eq!((c.model_type.as_str(), c.num_hidden_layers, c.hidden_size), ("llama", 30, 576));
    assert_eq!((c.num_attention_heads, c.kv_heads(), c.head_dim()), (9, 3, 64));
    assert_eq!(c.tie_word_embeddings, Some(true));
    // 30 blocks x 9 tensors + embeddings + final norm; tied, so no lm_head.
    assert_eq!(ckpt.weights.len(), 30 * 9 + 2);
    assert_eq!(ckpt.weights.dtypes().keys().copied().collect::<Vec<_>>(), [safetensors::Dtype::F32]);
    assert_eq!(ckpt.weights.num_params(), 134_515_008);

    // The tokenizer agrees with transformers' ids stored at conversion time.
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).expect("reference.json"))
            .expect("json");
    let prompt = reference["prompt"].as_str().expect("prompt");
    let tokenizer = ckpt.tokenizer.expect("tokenizer.json");
    let ids = tokenizer.encode(prompt, false).expect("encode").get_ids().to_vec();
    let expected: Vec<u32> =
        reference["input_ids"].as_array().expect("ids").iter().map(|v| v.as_u64().expect("id") as u32).collect();
    assert_eq!(ids, expected);
}
