//! The product surface on the tiny Llama: every shipped recipe under `configs/` runs
//! (with the model and data overridden by flags) and its resolved recipe, records,
//! report and figures land next to the checkpoint; `plan` estimates memory without
//! weights; `report` compares runs; a run killed mid-way resumes to a bit-identical
//! checkpoint and refuses to resume with a different configuration.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{root, secateurs, temp, tiny_model_and_corpus};

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&text(path)).expect("json")
}

#[test]
fn every_shipped_recipe_runs_and_writes_its_resolved_recipe_and_report() {
    let scratch = temp("recipes");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let generated = dir.join("generated.jsonl");
    let rows: Vec<String> = (0..3).map(|i| serde_json::json!({"ids": (0..40).map(|t| (t * 5 + i) % 25 + 1).collect::<Vec<u32>>()}).to_string()).collect();
    std::fs::write(&generated, rows.join("\n")).expect("jsonl");
    let configs = root().join("configs");
    let mut names: Vec<String> = std::fs::read_dir(&configs).expect("configs/").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["br-gp-cr.toml", "br-gp.toml", "self-generated.toml", "sparsegpt-2of4.toml", "wanda-50.toml"]);
    let (m, c, g) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"), generated.to_str().expect("utf8"));
    for name in &names {
        let recipe = configs.join(name);
        let declared: toml::Table = toml::from_str(&text(&recipe)).expect("a recipe is TOML");
        let out = dir.join(name.trim_end_matches(".toml"));
        let o = out.to_str().expect("utf8");
        let mut args = vec!["prune", recipe.to_str().expect("utf8"), "--model", m, "--calib", c, "--nsamples", "4", "--seqlen", "8", "--epochs", "1", "--batch-size", "2", "--out", o];
        if declared.contains_key("heldout") {
            args.extend(["--heldout", c, "--heldout-nsamples", "2"]);
        }
        if declared.contains_key("self_generated") {
            args.extend(["--self-generated", g, "--self-nsamples", "2"]);
        }
        let run = secateurs(&args);
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(stdout.contains(&format!("report: {o}/report.md")), "{name}: {stdout}");
        // The resolved recipe: the file's values, the flags' overrides, the defaults.
        let resolved: toml::Table = toml::from_str(&text(&out.join("recipe.toml"))).expect("resolved recipe");
        for key in ["method", "sparsity", "recon", "targets", "ignore"] {
            if let Some(value) = declared.get(key) {
                assert_eq!(resolved.get(key), Some(value), "{name}: {key}");
            }
        }
        assert_eq!(resolved["pattern"], declared.get("mask_structure").cloned().unwrap_or("unstructured".into()), "{name}: mask_structure");
        assert_eq!(resolved["model"].as_str(), Some(m), "{name}: the flag overrides the file");
        assert_eq!(resolved["nsamples"].as_integer(), Some(4));
        assert_eq!(resolved["text_field"].as_str(), Some("text"), "{name}: defaults are written too");
        // The same configuration in run.json, and the report with its figures.
        let record = json(&out.join("run.json"));
        assert_eq!(record["config"]["method"], declared["method"].as_str().expect("method"));
        assert_eq!(record["config"]["recon"], declared["recon"].as_str().expect("recon"));
        let report = text(&out.join("report.md"));
        assert!(report.contains("| Block | Sparsity |") && report.contains("error-by-depth.svg"), "{name}: {report}");
        for svg in ["error-by-depth.svg", "sparsity-by-linear.svg", "seconds-by-block.svg"] {
            assert!(text(&out.join(svg)).starts_with("<svg"), "{name}: {svg}");
        }
        let verified = secateurs(&["verify", o]);
        assert!(verified.status.success(), "{name}: verify: {}", String::from_utf8_lossy(&verified.stdout));
    }
    // The 2:4 recipe left block 0 dense (ignore) and made every other linear 2:4.
    let sparsity = json(&dir.join("sparsegpt-2of4/sparsity.json"));
    for linear in sparsity["measured"]["linears"].as_array().expect("linears") {
        let name = linear["name"].as_str().expect("name");
        let expected = if name.starts_with("model.layers.0.") { 0.0 } else { 0.5 };
        assert_eq!(linear["sparsity"].as_f64(), Some(expected), "{name}");
    }
    // `report` compares the runs in one table and one figure.
    let runs: Vec<String> = names.iter().map(|n| dir.join(n.trim_end_matches(".toml")).display().to_string()).collect();
    let report_dir = dir.join("compared");
    let mut args: Vec<&str> = vec!["report"];
    args.extend(runs.iter().map(String::as_str));
    args.extend(["--out", report_dir.to_str().expect("utf8")]);
    let compared = secateurs(&args);
    assert!(compared.status.success(), "{}", String::from_utf8_lossy(&compared.stderr));
    let table = String::from_utf8_lossy(&compared.stdout);
    for name in &names {
        assert!(table.contains(&format!("| {} |", name.trim_end_matches(".toml"))), "{table}");
    }
    assert!(text(&report_dir.join("error-by-depth.svg")).contains("br-gp-cr (calibration)"));
}

#[test]
fn recipe_errors_name_the_key_and_the_allowed_values() {
    let scratch = temp("recipe-errors");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "method = \"wanda\"\nsparsity = 0.5\nepoch = 3\n").expect("write");
    let o = dir.join("never");
    let run = secateurs(&["prune", bad.to_str().expect("utf8"), "--model", model.to_str().expect("utf8"), "--calib", corpus.to_str().expect("utf8"), "--out", o.to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && stderr.contains("unknown field `epoch`") && stderr.contains("`epochs`"), "{stderr}");
    let run = secateurs(&["prune", "--method", "wanda", "--sparsity", "0.5", "--calib", corpus.to_str().expect("utf8"), "--out", o.to_str().expect("utf8")]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing --model (or `model` in the recipe)"));
    assert!(!o.exists());
}

#[test]
fn plan_estimates_memory_from_the_config_alone() {
    let scratch = temp("plan");
    let dir = scratch.path();
    let (model, _) = tiny_model_and_corpus(dir);
    // No weights at all: plan reads config.json and the safetensors header only.
    let m = model.to_str().expect("utf8");
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "--model", m, "--method", "sparsegpt", "--sparsity", "0.5", "--nsamples", "16", "--seqlen", "32"];
        args.extend_from_slice(extra);
        let run = secateurs(&args);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let lr = plan(&[]);
    assert!(lr.contains("pruner statistics") && lr.contains("available") && lr.contains("streams on device (the CPU's memory; chosen from this plan)"), "{lr}");
    let total = |out: &str| -> f64 {
        let line = out.lines().find(|l| l.starts_with("total")).expect("total line");
        line.split_whitespace().nth(1).expect("value").parse().expect("GB")
    };
    let cr = plan(&["--recon", "br+gp+cr"]);
    assert!(total(&cr) > total(&lr), "CR holds two blocks and optimiser state:\n{lr}\n{cr}");
    let disk = plan(&["--streams", "disk:/tmp/x"]);
    assert!(disk.contains("streams on disk:/tmp/x (as requested)"), "{disk}");
}

#[test]
fn a_killed_run_resumes_to_a_bit_identical_checkpoint() {
    let scratch = temp("resume");
    let dir = scratch.path();
    let (model, corpus) = tiny_model_and_corpus(dir);
    let (m, c) = (model.to_str().expect("utf8"), corpus.to_str().expect("utf8"));
    let args = |out: &str, epochs: &str| -> Vec<String> {
        ["prune", "--model", m, "--method", "sparsegpt", "--sparsity", "0.5", "--recon", "br+gp+cr", "--epochs", epochs, "--batch-size", "2",
         "--calib", c, "--nsamples", "8", "--seqlen", "16", "--heldout", c, "--heldout-nsamples", "2", "--out", out]
            .map(String::from)
            .to_vec()
    };
    let whole = dir.join("whole");
    let run = secateurs(&args(whole.to_str().expect("utf8"), "40").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    let out = dir.join("killed");
    let o = out.to_str().expect("utf8");
    let state = dir.join("killed.resume/state.json");
    // Kill (SIGKILL) once the state names a finished block, mid-way through the run.
    let mut child = Command::new(env!("CARGO_BIN_EXE_secateurs")).args(args(o, "40")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let started = Instant::now();
    while !state.exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(state.exists(), "a state after the first block");
    assert!(!out.exists(), "no output from a killed run");

    let refused = secateurs(&args(o, "40").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --resume"), "{}", String::from_utf8_lossy(&refused.stderr));
    let mut other = args(o, "41");
    other.push("--resume".into());
    let refused = secateurs(&other.iter().map(String::as_str).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("cannot resume") && stderr.contains("config epochs was 40, now 41"), "{stderr}");

    let mut resumed = args(o, "40");
    resumed.push("--resume".into());
    let run = secateurs(&resumed.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(!dir.join("killed.resume").exists(), "the state is removed once the run is complete");
    let tensors = |dir: &Path| {
        let mut named = tch::Tensor::read_safetensors(dir.join("model.safetensors")).expect("weights");
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named
    };
    let (a, b) = (tensors(&whole), tensors(&out));
    assert_eq!(a.len(), b.len());
    for ((name, x), (other, y)) in a.iter().zip(&b) {
        assert_eq!(name, other);
        assert!(x.equal(y), "{name} differs after resuming");
    }
}
