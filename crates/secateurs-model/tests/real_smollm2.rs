//! The real SmolLM2-135M-Instruct asset (`cargo xtask fetch`) against the reference
//! transformers outputs stored when it was converted: logits for a prompt, and the
//! greedy continuation token for token.

use std::path::PathBuf;

use secateurs_model::{Decoding, GenerationConfig, Model, generate};
use tch::{Device, Kind, Tensor};

fn asset() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/smollm2-135m");
    assert!(dir.join("reference.json").is_file(), "real assets missing: run `cargo xtask fetch`");
    dir
}

#[test]
fn smollm2_matches_transformers_logits_and_greedy_generation() {
    let dir = asset();
    let model = Model::open(&dir, Kind::Float, Device::Cpu).expect("SmolLM2 opens");
    let reference = Tensor::read_safetensors(dir.join("reference.safetensors")).expect("reference");
    let get = |k: &str| reference.iter().find(|(n, _)| n == k).expect("tensor").1.shallow_clone();
    let ids = get("input_ids");
    let logits = model.forward(&ids, None).expect("forward");
    let diff = (&logits - get("logits")).abs().max().double_value(&[]);
    assert!(diff <= 1e-3, "max |Δlogit| = {diff}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).expect("json")).expect("json");
    let expected: Vec<i64> = json["greedy_new_tokens"].as_array().expect("tokens").iter().filter_map(|v| v.as_i64()).collect();
    let prompt: Vec<i64> = Vec::<i64>::try_from(ids.view([-1])).expect("ids");
    let config = GenerationConfig {
        max_new_tokens: expected.len(),
        decoding: Decoding::Greedy,
        seed: 0,
        eos: vec![2],
        pad: 2,
    };
    let generated = generate(&model, &[prompt], &config).expect("generate");
    assert_eq!(generated[0], expected, "max |Δlogit| was {diff}");
    eprintln!("max |Δlogit| {diff:.2e}; greedy continuation identical ({} tokens)", expected.len());
}
