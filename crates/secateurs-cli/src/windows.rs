//! From text sources to token windows, the way `prune` and `eval` both read data:
//! calibration windows sampled from random documents (PAPER.md §5), held-out and
//! evaluation windows contiguous from the start of a source.

use std::path::PathBuf;

use anyhow::Context;
use secateurs_data::{TextSource, Windows};
use tokenizers::Tokenizer;

/// Documents of several sources, pooled, under one joined name.
pub fn sampled(tokenizer: &Tokenizer, sources: &[PathBuf], count: usize, seqlen: usize, seed: u64) -> anyhow::Result<Windows> {
    let mut names = Vec::new();
    let mut documents = Vec::new();
    for path in sources {
        let source = TextSource::open(path)?;
        documents.extend(source.tokenize_documents(tokenizer)?);
        names.push(source.name);
    }
    let name = names.join("+");
    Windows::sampled(&documents, seqlen, count, seed, &name).with_context(|| format!("cannot sample calibration windows from {name}"))
}

/// The first `count` windows of a source's token stream (documents joined by a blank line).
pub fn contiguous(tokenizer: &Tokenizer, source: &std::path::Path, count: usize, seqlen: usize) -> anyhow::Result<Windows> {
    let source = TextSource::open(source)?;
    let stream = source.tokenize_stream(tokenizer, "\n\n")?;
    Ok(Windows::contiguous(&stream, seqlen, count, &source.name)?)
}

/// Windows as an `[n, T]` int64 tensor.
pub fn tensor(windows: &Windows) -> tch::Tensor {
    tch::Tensor::from_slice(windows.ids()).view([windows.len() as i64, windows.seqlen() as i64])
}
