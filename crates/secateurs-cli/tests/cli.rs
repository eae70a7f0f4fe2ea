//! The `secateurs` binary as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn secateurs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_secateurs"))
        .args(args)
        // The binary must find libtorch through its rpath alone.
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run secateurs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_names_libtorch_and_cuda_without_ld_library_path() {
    let out = secateurs(&["--version"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.starts_with(&format!("secateurs {}", env!("CARGO_PKG_VERSION"))), "{stdout}");
    assert!(stdout.contains("libtorch 2.11.0"), "{stdout}");
    // Linked with --no-as-needed: the CUDA part is loaded even on a machine without a GPU.
    assert!(stdout.contains("CUDA available") || stdout.contains("CUDA libraries linked"), "{stdout}");
}

#[test]
fn inspect_describes_the_real_smollm2_checkpoint() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/smollm2-135m");
    assert!(dir.is_dir(), "real assets missing: run `cargo xtask fetch`");
    let out = secateurs(&["inspect", dir.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("model_type   llama (LlamaForCausalLM)"), "{stdout}");
    assert!(stdout.contains("30 blocks, hidden 576, 9 heads (3 key/value, head_dim 64)"), "{stdout}");
    assert!(stdout.contains("272 tensors, 134.5M parameters, F32 x272"), "{stdout}");
    assert!(stdout.contains("tokenizer    49152 tokens"), "{stdout}");
    assert!(stdout.contains("model.layers.0.mlp.down_proj.weight"), "{stdout}");
}

#[test]
fn inspect_of_a_missing_directory_fails_naming_it() {
    let out = secateurs(&["inspect", "/nonexistent/checkpoint"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/nonexistent/checkpoint"), "{stderr}");
}
