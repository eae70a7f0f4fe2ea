//! Helpers shared by the CLI's integration tests: a tiny Llama with a word-level
//! tokenizer and a corpus in its vocabulary, temporary folders, running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh folder for one test, removed when dropped (also when the test fails).
pub fn temp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("secateurs-cli-{name}-")).tempdir().expect("temp dir")
}

pub fn secateurs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_secateurs")).args(args).env_remove("LD_LIBRARY_PATH").output().expect("run secateurs")
}

pub const TEXT: &str = "the cat sat on the mat and the dog ran to the park while a bird sang in the old tree by the river";

/// The tiny Llama fixture plus a word-level tokenizer over its 128-token vocabulary,
/// and a corpus of documents in that vocabulary.
pub fn tiny_model_and_corpus(dir: &Path) -> (PathBuf, PathBuf) {
    let model = dir.join("model");
    std::fs::create_dir_all(&model).expect("model dir");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(root().join("fixtures/parity/llama").join(file), model.join(file)).expect("copy fixture");
    }
    let mut words: Vec<&str> = TEXT.split(' ').collect();
    words.sort();
    words.dedup();
    let vocab: serde_json::Map<String, serde_json::Value> =
        std::iter::once("[UNK]").chain(words.iter().copied()).enumerate().map(|(i, w)| (w.to_owned(), i.into())).collect();
    let tokenizer = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    });
    std::fs::write(model.join("tokenizer.json"), tokenizer.to_string()).expect("tokenizer");
    let corpus = dir.join("corpus.txt");
    let documents: Vec<String> = (0..12).map(|i| {
        let mut doc: Vec<&str> = TEXT.split(' ').collect();
        doc.rotate_left(i % 7);
        doc.join(" ").repeat(2)
    }).collect();
    std::fs::write(&corpus, documents.join("\n\n")).expect("corpus");
    (model, corpus)
}

