//! Parity with transformers on the committed tiny checkpoints of every family
//! (`fixtures/gen_parity.py`): logits without and with a left-padding mask, through
//! `Model::forward` and through an explicit embed → block(i) → logits walk.

use std::path::PathBuf;

use secateurs_model::Model;
use tch::{Device, Kind, Tensor};

const FAMILIES: [&str; 8] = ["llama", "mistral", "qwen2", "qwen3", "gemma3", "opt", "gpt_neox", "gpt2"];
const TOLERANCE: f64 = 1e-4;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parity").join(name)
}

fn expected(name: &str) -> Vec<(String, Tensor)> {
    Tensor::read_safetensors(fixture(name).join("expected.safetensors")).expect("expected.safetensors")
}

fn get<'a>(tensors: &'a [(String, Tensor)], key: &str) -> &'a Tensor {
    &tensors.iter().find(|(k, _)| k == key).expect("tensor in fixture").1
}

/// Largest |a − b| over positions where `mask` is 1 (`mask: [b, T]`, logits `[b, T, V]`).
fn max_diff(a: &Tensor, b: &Tensor, mask: &Tensor) -> f64 {
    let keep = mask.ne(0).unsqueeze(-1).expand_as(a);
    (a - b).abs().masked_select(&keep).max().double_value(&[])
}

#[test]
fn logits_match_transformers_for_every_family() {
    let mut report = Vec::new();
    for name in FAMILIES {
        let model = Model::open(&fixture(name), Kind::Float, Device::Cpu).unwrap_or_else(|e| panic!("{name}: {e}"));
        let exp = expected(name);
        let ids = get(&exp, "input_ids");
        let mask = get(&exp, "attention_mask");
        let ones = mask.ones_like();

        let plain = model.forward(ids, None).expect("forward");
        let d_plain = max_diff(&plain, get(&exp, "logits"), &ones);
        let masked = model.forward(ids, Some(mask)).expect("forward");
        let d_masked = max_diff(&masked, get(&exp, "logits_masked"), mask);

        // The explicit walk is the same computation.
        let (mut x, ctx) = model.embed(ids, Some(mask));
        for i in 0..model.num_blocks() {
            x = model.load_block(i).expect("block").forward(&x, &ctx);
        }
        let walked = model.logits(&x);
        let d_walk = max_diff(&walked, &masked, mask);

        report.push(format!("{name}: {d_plain:.2e} / {d_masked:.2e} / {d_walk:.2e}"));
        assert!(d_plain <= TOLERANCE && d_masked <= TOLERANCE && d_walk == 0.0, "{}", report.join("\n"));
    }
    eprintln!("max |Δlogit| plain / masked / walk vs forward:\n{}", report.join("\n"));
}
