//! The data path on the real assets (`cargo xtask fetch`): the Brown corpus read as
//! documents, tokenised with SmolLM2's tokenizer, cut into calibration-sized windows.

use std::path::PathBuf;

use secateurs_data::{Windows, split_documents, tokenize_stream};
use secateurs_model::Checkpoint;

fn assets() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    assert!(dir.join("manifest.json").is_file(), "real assets missing: run `cargo xtask fetch`");
    dir
}

#[test]
fn brown_corpus_tokenises_into_windows() {
    let assets = assets();
    let text = std::fs::read_to_string(assets.join("corpora/brown.txt")).expect("brown.txt");
    let documents = split_documents(&text);
    assert_eq!(documents.len(), 500, "the Brown corpus has 500 documents");

    let checkpoint = Checkpoint::open(&assets.join("models/smollm2-135m")).expect("SmolLM2");
    let tokenizer = checkpoint.tokenizer.expect("SmolLM2 ships tokenizer.json");
    let stream = tokenize_stream(&tokenizer, &documents, "\n\n", "brown").expect("tokenise");
    // About 1.0–1.6M words of English prose; BPE gives more tokens than words.
    assert!(stream.len() > 1_000_000, "{} tokens", stream.len());

    let windows = Windows::contiguous(&stream, 512, 32, "brown").expect("32 x 512 fit");
    assert_eq!((windows.len(), windows.seqlen()), (32, 512));
    let decoded = tokenizer.decode(&stream[..8], false).expect("decode");
    assert!(decoded.starts_with("The Fulton County Grand Jury"), "{decoded:?}");
}
