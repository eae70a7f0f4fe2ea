//! The commands on the fetched SmolLM2 (`cargo xtask fetch`): the analogy task
//! separates the dense model from a 70% magnitude-pruned copy made by `secateurs
//! prune`, `secateurs eval` writes lm-eval's result layout, and `secateurs
//! generate-calib` writes English JSON Lines with provenance.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn secateurs(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_secateurs")).args(args).current_dir(root()).output().expect("run secateurs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn analogy_accuracy(model: &str, out: &str) -> (f64, serde_json::Value) {
    let stdout = secateurs(&["eval", "--model", model, "--tasks", "analogy", "--limit", "100", "--batch", "16", "--out", out]);
    assert!(stdout.contains("analogy"), "a table on stdout: {stdout}");
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out).expect("results")).expect("json");
    (results["results"]["analogy"]["acc,none"].as_f64().expect("acc"), results)
}

#[test]
fn analogies_separate_dense_from_seventy_percent_magnitude() {
    assert!(root().join("assets/models/smollm2-135m/config.json").is_file(), "real assets missing: run `cargo xtask fetch`");
    let scratch = tempfile::tempdir().expect("temp dir");
    let dir = scratch.path();
    let pruned = dir.join("magnitude-70");
    let pruned_str = pruned.to_str().expect("utf8");
    secateurs(&[
        "prune", "--model", "assets/models/smollm2-135m", "--method", "magnitude", "--sparsity", "0.7", "--recon", "lr",
        "--calib", "assets/corpora/brown.txt", "--nsamples", "1", "--seqlen", "32", "--out", pruned_str,
    ]);
    let (dense, results) = analogy_accuracy("assets/models/smollm2-135m", dir.join("dense.json").to_str().expect("utf8"));
    let (sparse, _) = analogy_accuracy(pruned_str, dir.join("pruned.json").to_str().expect("utf8"));
    eprintln!("analogy accuracy on 100 questions: dense {dense:.2}, 70% magnitude {sparse:.2}");
    assert!(dense > 0.5, "dense SmolLM2 is far above chance (0.25): {dense}");
    assert!(sparse < 0.4, "the 70% magnitude-pruned copy is near chance: {sparse}");
    assert_eq!(results["n-samples"]["analogy"]["effective"], 100);
    assert!(results["results"]["analogy"]["acc_stderr,none"].as_f64().is_some_and(|s| s > 0.0 && s < 0.06));
    assert!(results["versions"]["analogy"].is_number() && results["config"]["limit"] == 100);
}

#[test]
fn generate_calib_writes_english_json_lines_with_provenance() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("generated.jsonl");
    let stdout = secateurs(&["generate-calib", "--model", "assets/models/smollm2-135m", "--count", "2", "--max-len", "16", "--batch", "2", "--out", out.to_str().expect("utf8")]);
    assert!(stdout.contains("wrote 2 texts") && stdout.contains("rejected share"), "{stdout}");
    let text = std::fs::read_to_string(&out).expect("jsonl");
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("row")).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(row["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(row["ids"].as_array().is_some_and(|ids| ids.len() <= 16));
        assert_eq!(row["provenance"]["settings"]["top_k"], 50);
        assert!(row["provenance"]["model_fingerprint"].as_str().is_some_and(|f| f.len() == 16));
    }
}
