//! Generation on a tiny committed checkpoint: the KV cache gives what recomputing the
//! whole prefix gives, left padding in a batch changes nothing, sampling is
//! reproducible from its seed, and EOS ends a sequence.

use std::path::PathBuf;

use secateurs_model::{Decoding, GenerationConfig, Model, generate};
use tch::{Device, Kind, Tensor};

fn model(name: &str) -> Model {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/parity").join(name);
    Model::open(&dir, Kind::Float, Device::Cpu).expect("fixture opens")
}

fn config(decoding: Decoding, max_new_tokens: usize) -> GenerationConfig {
    GenerationConfig { max_new_tokens, decoding, seed: 11, eos: vec![], pad: 0 }
}

/// Greedy decoding by re-running the full forward on the growing prefix.
fn greedy_without_cache(model: &Model, prompt: &[i64], steps: usize) -> Vec<i64> {
    let mut ids = prompt.to_vec();
    let mut out = Vec::new();
    for _ in 0..steps {
        let t = Tensor::from_slice(&ids).view([1, -1]);
        let logits = model.forward(&t, None).expect("forward");
        let next = logits.get(0).get(ids.len() as i64 - 1).argmax(0, false).int64_value(&[]);
        ids.push(next);
        out.push(next);
    }
    out
}

#[test]
fn cache_and_left_padding_do_not_change_greedy_tokens() {
    for name in ["llama", "gemma3", "gpt_neox", "gpt2", "opt"] {
        let model = model(name);
        let (short, long) = (vec![5i64, 9, 2], vec![7i64, 1, 3, 3, 8, 4, 6]);
        let alone_short = generate(&model, std::slice::from_ref(&short), &config(Decoding::Greedy, 6)).expect("generate");
        assert_eq!(alone_short[0], greedy_without_cache(&model, &short, 6), "{name}: cache");
        let batch = generate(&model, &[short.clone(), long.clone()], &config(Decoding::Greedy, 6)).expect("generate");
        let alone_long = generate(&model, &[long], &config(Decoding::Greedy, 6)).expect("generate");
        assert_eq!(batch[0], alone_short[0], "{name}: left padding");
        assert_eq!(batch[1], alone_long[0], "{name}: batch");
    }
}

#[test]
fn sampling_is_seeded_and_eos_stops() {
    let model = model("qwen2");
    let sample = Decoding::Sample { temperature: 1.0, top_k: 50, top_p: 0.9 };
    let a = generate(&model, &[vec![1, 2, 3], vec![4]], &config(sample, 12)).expect("generate");
    let b = generate(&model, &[vec![1, 2, 3], vec![4]], &config(sample, 12)).expect("generate");
    assert_eq!(a, b);
    let mut other = config(sample, 12);
    other.seed = 12;
    assert_ne!(a, generate(&model, &[vec![1, 2, 3], vec![4]], &other).expect("generate"));

    // Make the 3rd greedy token an end-of-sequence token: generation stops there.
    let greedy = generate(&model, &[vec![1, 2, 3]], &config(Decoding::Greedy, 8)).expect("generate");
    let mut stopping = config(Decoding::Greedy, 8);
    stopping.eos = vec![greedy[0][2]];
    let first = greedy[0].iter().position(|t| *t == greedy[0][2]).expect("present");
    let stopped = generate(&model, &[vec![1, 2, 3]], &stopping).expect("generate");
    assert_eq!(stopped[0], greedy[0][..=first]);
}
