//! `secateurs prune` and `secateurs eval` as a user runs them, on a tiny random Llama
//! (`fixtures/parity/llama`) given a word-level tokenizer: the output checkpoint
//! loads in transformers with the logits secateurs computes, keeps pruned weights
//! exactly zero, and comes with sparsity.json and run.json; bad input is refused
//! with a message naming the value at fault.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TEXT, root, secateurs, temp, tiny_model_and_corpus};

use secateurs_model::Model;
use tch::{Device, Kind, Tensor};

fn transformers_logits(dir: &Path, ids: &[i64]) -> Tensor {
    let script = r#"
import sys, json, torch, transformers
torch.set_num_threads(1)
model = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32, attn_implementation="eager").eval()
ids = torch.tensor([json.loads(sys.argv[2])])
with torch.no_grad():
    print(json.dumps(model(input_ids=ids).logits[0].flatten().tolist()))
"#;
    let python = root().join(".venv/bin/python");
    let out = Command::new(python).args(["-c", script]).arg(dir).arg(format!("{ids:?}")).env("HF_HUB_OFFLINE", "1").output().expect("python");
    assert!(out.status.success(), "transformers failed: {}", String::from_utf8_lossy(&out.stderr));
    let values: Vec<f32> = serde_json::from_slice(&out.stdout).expect("logits json");
    Tensor::from_slice(&values)
}

#[test]
fn pruned_checkpoint_loads_in_transformers_with_our_logits() {
    let scratch = temp("prune");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let out = dir.join("pruned");
    let (m, c, o) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let run = secateurs(&[
        "prune", "--model", m, "--method", "sparsegpt", "--sparsity", "0.5", "--recon", "br", "--gp", "--epochs", "2",
        "--batch-size", "2", "--calib", c, "--nsamples", "4", "--seqlen", "16", "--heldout", c, "--heldout-nsamples", "2", "--out", o,
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("block   2/2"), "one log line per block: {stderr}");
    assert!(!out.with_extension("staging").exists() && !out.with_extension("partial").exists());

    let pruned = Model::open(&out, Kind::Float, Device::Cpu).expect("reopen");
    for i in 0..pruned.num_blocks() {
        for (name, linear) in pruned.load_block(i).expect("block").linears() {
            let zeros = linear.weight.eq(0.0).sum(Kind::Int64).int64_value(&[]) as f64 / linear.weight.numel() as f64;
            assert!((zeros - 0.5).abs() < 1e-9, "block {i} {name}: {zeros}");
        }
    }
    let ids = [3i64, 1, 4, 1, 5, 9, 2, 6];
    let ours = pruned.forward(&Tensor::from_slice(&ids).view([1, 8]), None).expect("forward").flatten(0, -1);
    let theirs = transformers_logits(&out, &ids);
    let diff = (ours - theirs).abs().max().double_value(&[]);
    assert!(diff < 5e-4, "transformers disagrees by {diff}");

    let sparsity: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("sparsity.json")).expect("sparsity.json")).expect("json");
    assert_eq!(sparsity["requested"]["sparsity"], 0.5);
    assert_eq!(sparsity["measured"]["linears"].as_array().expect("linears").len(), 14);
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json")).expect("json");
    assert_eq!(record["config"]["recon"], "br+gp");
    assert_eq!(record["blocks"].as_array().expect("blocks").len(), 2);
    assert!(record["blocks"][1]["error"]["heldout"].as_f64().is_some_and(f64::is_finite));
    assert!(record["fingerprints"]["calib"].as_str().is_some_and(|f| f.len() == 16));
    assert!(record["memory"]["peak_rss_bytes"].as_u64().is_some());

    let results = dir.join("results.json");
    let eval = secateurs(&["eval", "--model", o, "--ppl", c, "--windows", "2", "--seqlen", "16", "--out", results.to_str().expect("utf8")]);
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(results).expect("results")).expect("json");
    let ppl = results["results"]["corpus"]["perplexity,none"].as_f64().expect("ppl");
    assert!(ppl.is_finite() && ppl > 1.0, "{ppl}");
}

#[test]
fn bad_flags_are_refused_naming_the_value() {
    let scratch = temp("bad");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let (m, c) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"));
    let out = dir.join("never");
    let o = out.to_str().expect("utf8");
    let cases: [(&[&str], &str); 5] = [
        (&["--method", "obs"], "unknown pruning method 'obs'; expected one of: magnitude, wanda, sparsegpt"),
        (&["--method", "wanda", "--recon", "cr"], "unknown reconstruction 'cr'; expected one of: lr, br, br+gp, br+gp+cr"),
        (&["--method", "wanda", "--gp"], "need --recon br"),
        (&["--method", "wanda", "--streams", "gpu"], "unknown stream placement 'gpu'; expected one of: auto, device, host, disk:<dir>"),
        (&["--method", "wanda", "--seqlen", "4000"], "no document longer than 4000 tokens"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["prune", "--model", m, "--sparsity", "0.5", "--calib", c, "--nsamples", "2", "--out", o];
        args.extend_from_slice(flags);
        if !flags.contains(&"--seqlen") {
            args.extend(["--seqlen", "8"]);
        }
        let run = secateurs(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success() && stderr.contains(message), "{flags:?}: {stderr}");
        assert!(!out.exists(), "nothing written on failure");
    }
}

#[test]
fn eval_reads_preset_protocols_from_local_copies_and_tasks_from_jsonl() {
    let scratch = temp("eval");
    let dir = scratch.path();
    let (model, _) = tiny_model_and_corpus(dir);
    let m = model.to_str().expect("utf8");
    let raw = dir.join("wiki.test.raw");
    std::fs::write(&raw, format!(" = Title = \n{TEXT}\n{TEXT}\n")).expect("raw");
    let boolq = dir.join("boolq.jsonl");
    let rows = [("the cat sat on the mat", "did the cat sit on the mat", 1), ("the dog ran to the park", "did the bird sing", 0)];
    let lines: Vec<String> = rows.iter().map(|(p, q, l)| serde_json::json!({"passage": p, "question": q, "label": l, "idx": 0}).to_string()).collect();
    std::fs::write(&boolq, lines.join("\n")).expect("jsonl");
    let out = dir.join("results.json");
    let run = secateurs(&[
        "eval", "--model", m, "--ppl", &format!("wikitext2={}", raw.display()), "--seqlen", "8",
        "--tasks", &format!("boolq={}", boolq.display()), "--out", out.to_str().expect("utf8"),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("results")).expect("json");
    let protocol = &results["perplexity_protocols"]["wikitext2"];
    assert_eq!(protocol["protocol"]["joiner"], "\n\n");
    assert_eq!(protocol["seqlen"], 8);
    assert!(protocol["windows"].as_u64().is_some_and(|w| w >= 4), "{protocol}");
    assert!(results["results"]["wikitext2"]["perplexity,none"].as_f64().is_some_and(f64::is_finite));
    let acc = results["results"]["boolq"]["acc,none"].as_f64().expect("acc");
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(results["n-samples"]["boolq"]["effective"], 2);
    assert_eq!(results["versions"]["boolq"], 2.0);

    // The hub preset without a cached copy, offline: a clear error naming the file.
    let offline = Command::new(env!("CARGO_BIN_EXE_secateurs"))
        .args(["eval", "--model", m, "--ppl", "c4", "--hub-cache", dir.join("empty-hub").to_str().expect("utf8")])
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&offline.stderr);
    assert!(!offline.status.success() && stderr.contains("hub unreachable: cannot get en/c4-validation.00000-of-00008.json.gz from dataset allenai/c4"), "{stderr}");
}

#[test]
fn self_generated_windows_join_reconstruction_and_are_recorded() {
    let scratch = temp("selfgen");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let generated = dir.join("generated.jsonl");
    let rows: Vec<String> = (0..3).map(|i| serde_json::json!({"text": "unused", "ids": (0..40).map(|t| (t * 7 + i) % 25 + 1).collect::<Vec<u32>>(), "index": i}).to_string()).collect();
    std::fs::write(&generated, rows.join("\n")).expect("jsonl");
    let out = dir.join("pruned");
    let (m, c, g, o) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"), generated.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let run = secateurs(&[
        "prune", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--recon", "br", "--epochs", "1", "--batch-size", "2",
        "--calib", c, "--nsamples", "4", "--seqlen", "16", "--self-generated", g, "--self-nsamples", "2", "--out", o,
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json")).expect("json");
    assert_eq!(record["config"]["self_nsamples"], 2);
    assert!(record["fingerprints"]["self_generated"].as_str().is_some_and(|f| f.len() == 16));
    assert_eq!(record["windows"][0]["steps"], 3, "1 epoch over 4 real + 2 generated windows, batch 2");
    let refused = secateurs(&["prune", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--calib", c, "--nsamples", "2", "--seqlen", "8", "--self-generated", g, "--self-nsamples", "2", "--out", o]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--self-generated needs --recon br"));
}

#[test]
fn heldout_from_the_calibration_source_is_kept_out_of_calibration() {
    let scratch = temp("disjoint");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let out = dir.join("pruned");
    let (m, c, o) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let run = secateurs(&["prune", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--calib", c, "--nsamples", "2", "--seqlen", "16", "--heldout", c, "--heldout-nsamples", "2", "--out", o]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // 2 x 16 held-out tokens span the first two 40-token documents at most: skip 2 + 1.
    assert!(run.status.success() && stderr.contains("corpus.txt also gives the held-out windows: calibration skips its first 2 documents"), "{stderr}");
}

#[test]
fn record_files_calibrate_through_their_text_field() {
    let scratch = temp("field");
    let dir = scratch.path();
    let (model, _) = tiny_model_and_corpus(dir);
    let calib = dir.join("calib.jsonl");
    let rows: Vec<String> = (0..6).map(|i| serde_json::json!({"content": TEXT.repeat(2 + i % 2), "id": i}).to_string()).collect();
    std::fs::write(&calib, rows.join("\n")).expect("jsonl");
    let out = dir.join("pruned");
    let (m, c, o) = (model.to_str().expect("utf8"), calib.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let base = ["prune", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--calib", c, "--nsamples", "2", "--seqlen", "16", "--out", o];
    let missing = secateurs(&base);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("row 0 has no text field 'text' (fields: content, id)"), "{}", String::from_utf8_lossy(&missing.stderr));
    let mut args = base.to_vec();
    args.extend(["--text-field", "content", "--recon", "br", "--epochs", "1", "--errors-at", "end"]);
    let run = secateurs(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json")).expect("json");
    assert_eq!(record["config"]["text_field"], "content");
    assert_eq!(record["config"]["errors_every_epoch"], false);
}

#[test]
fn verify_accepts_an_honest_checkpoint_and_names_a_tampered_linear() {
    let scratch = temp("verify");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let out = dir.join("pruned");
    let (m, c, o) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let run = secateurs(&["prune", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--pattern", "2:4", "--calib", c, "--nsamples", "2", "--seqlen", "16", "--out", o]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let ok = secateurs(&["verify", o]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && stdout.contains("model.layers.1.mlp.down_proj") && stdout.contains(" ok"), "{stdout}");

    let file = out.join("model.safetensors");
    let mut tensors = Tensor::read_safetensors(&file).expect("read");
    for (name, tensor) in &mut tensors {
        if name == "model.layers.0.mlp.down_proj.weight" {
            *tensor = tensor.ones_like();
        }
    }
    Tensor::write_safetensors(&tensors, &file).expect("write");
    let bad = secateurs(&["verify", o]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success(), "tampered checkpoint must fail");
    assert!(stderr.contains("mismatch: model.layers.0.mlp.down_proj: recorded 0.500000, measured 0.000000"), "{stderr}");
    assert!(stderr.contains("mismatch: model.layers.0.mlp.down_proj: not 2:4"), "{stderr}");
}
