//! secateurs-eval against transformers on the fetched SmolLM2 (`cargo xtask fetch`):
//! perplexity within 0.1% on the same protocol, and lm-eval-style log-likelihoods
//! (same token split, same values) — references in `fixtures/eval/smollm2.json`,
//! written by `fixtures/gen_eval_reference.py`.

use std::path::PathBuf;

use secateurs_data::{TextSource, Windows};
use secateurs_eval::{Request, Resident, encode_pair, score, window_nll};
use secateurs_model::Model;
use serde_json::Value;
use tch::{Device, Kind, Tensor};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/eval/smollm2.json")).expect("fixture")).expect("json")
}

fn smollm2() -> Model {
    let dir = root().join("assets/models/smollm2-135m");
    assert!(dir.join("config.json").is_file(), "real assets missing: run `cargo xtask fetch`");
    Model::open(&dir, Kind::Float, Device::Cpu).expect("SmolLM2")
}

#[test]
fn perplexity_matches_transformers_within_a_tenth_of_a_percent() {
    let reference = reference();
    let expected = &reference["perplexity"];
    let model = smollm2();
    let tokenizer = model.checkpoint.tokenizer.as_ref().expect("tokenizer");
    let source = TextSource::open(&root().join("assets").join(expected["source"].as_str().expect("source"))).expect("enwiki");
    let stream = source.tokenize_stream(tokenizer, "\n\n").expect("tokenise");
    let first: Vec<u32> = serde_json::from_value(expected["first_ids"].clone()).expect("ids");
    assert_eq!(&stream[..first.len()], first.as_slice(), "same tokenisation as transformers");
    let (seqlen, count) = (expected["seqlen"].as_u64().expect("seqlen") as usize, expected["windows"].as_u64().expect("windows") as usize);
    let windows = Windows::contiguous(&stream, seqlen, count, &source.name).expect("windows");
    let ids = Tensor::from_slice(windows.ids()).view([count as i64, seqlen as i64]);
    let nll = window_nll(&Resident::load(&model).expect("blocks"), &ids, 4, &mut |_, _| {});
    let theirs = expected["ppl"].as_f64().expect("ppl");
    assert_eq!(nll.tokens, (count * (seqlen - 1)) as i64);
    let relative = (nll.perplexity() - theirs).abs() / theirs;
    assert!(relative < 1e-3, "ours {} vs transformers {theirs} ({relative:.2e})", nll.perplexity());
}

#[test]
fn log_likelihoods_match_transformers_token_for_token() {
    let reference = reference();
    let model = smollm2();
    let tokenizer = model.checkpoint.tokenizer.as_ref().expect("tokenizer");
    let pairs = reference["loglik"].as_array().expect("pairs");
    let requests: Vec<Request> = pairs
        .iter()
        .map(|p| Request { context: p["context"].as_str().expect("context").into(), continuation: p["continuation"].as_str().expect("continuation").into() })
        .collect();
    for (r, p) in requests.iter().zip(pairs) {
        let (context, continuation) = encode_pair(tokenizer, &r.context, &r.continuation).expect("encode");
        assert_eq!(serde_json::to_value(&context).expect("ids"), p["context_ids"], "{r:?}");
        assert_eq!(serde_json::to_value(&continuation).expect("ids"), p["continuation_ids"], "{r:?}");
    }
    let resident = Resident::load(&model).expect("blocks");
    // Batched with padding (batch 3 mixes lengths) and alone must agree with transformers.
    for batch in [1, 3] {
        let scored = score(&resident, tokenizer, &requests, batch, 2048, &mut |_, _| {}).expect("score");
        for (s, p) in scored.iter().zip(pairs) {
            let theirs = p["loglik"].as_f64().expect("loglik");
            assert!((s.loglik - theirs).abs() < 1e-3, "batch {batch}: {} vs {theirs} for {:?}", s.loglik, p["continuation"]);
        }
    }
}
