//! From text sources to token windows, the way `prune` and `eval` both read data:
//! calibration windows sampled from random documents (PAPER.md §5), held-out and
//! evaluation windows contiguous from the start of a source.

use std::path::PathBuf;

use anyhow::Context;
use secateurs_data::{TextSource, Windows};
use tokenizers::Tokenizer;

/// The local path of a source given as a path or as `hf:OWNER/NAME/PATH[@REV]` (found
/// in the hub cache — `hub_cache` or the default one — else downloaded from
/// `$HF_ENDPOINT` or huggingface.co).
pub fn local_path(source: &str, hub_cache: Option<&std::path::Path>) -> anyhow::Result<PathBuf> {
    match secateurs_data::HubFile::parse(source) {
        Some(file) => Ok(file?.resolve(hub_cache, std::env::var("HF_ENDPOINT").ok().as_deref())?),
        None => Ok(PathBuf::from(source)),
    }
}

/// Opens a text source given as a path or a hub file (see [`local_path`]), taking
/// `field` from record files.
pub fn open_source(source: &std::path::Path, field: &str) -> anyhow::Result<TextSource> {
    let text = source.to_string_lossy();
    let path = local_path(&text, None)?;
    let mut opened = TextSource::open_field(&path, field)?;
    if text.starts_with("hf:") {
        opened.name = text.into_owned();
    }
    Ok(opened)
}

/// Documents of several sources, pooled, under one joined name. When `heldout`
/// (its path and token count) is one of the sources, the leading documents its
/// windows come from are left out, so calibration and held-out windows are disjoint.
pub fn sampled(tokenizer: &Tokenizer, sources: &[PathBuf], field: &str, count: usize, seqlen: usize, seed: u64, heldout: Option<(&std::path::Path, usize)>) -> anyhow::Result<Windows> {
    let mut names = Vec::new();
    let mut documents = Vec::new();
    let same = |a: &std::path::Path, b: &std::path::Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().ok() == Some(a));
    for path in sources {
        let source = open_source(path, field)?;
        let mut docs = source.tokenize_documents(tokenizer)?;
        let mut name = source.name;
        if let Some((_, tokens)) = heldout.filter(|(h, _)| same(h, path)) {
            let skip = secateurs_data::leading_documents(&docs, tokens);
            eprintln!("{name} also gives the held-out windows: calibration skips its first {skip} documents");
            docs.drain(..skip.min(docs.len()));
            name = format!("{name}[{skip}..]");
        }
        documents.extend(docs);
        names.push(name);
    }
    let name = names.join("+");
    Windows::sampled(&documents, seqlen, count, seed, &name).with_context(|| format!("cannot sample calibration windows from {name}"))
}

/// The first `count` windows of a source's token stream (documents joined by a blank line).
pub fn contiguous(tokenizer: &Tokenizer, source: &std::path::Path, field: &str, count: usize, seqlen: usize) -> anyhow::Result<Windows> {
    let source = open_source(source, field)?;
    let stream = source.tokenize_stream(tokenizer, "\n\n")?;
    Ok(Windows::contiguous(&stream, seqlen, count, &source.name)?)
}

/// One window per generated text (its stored ids, else its text tokenised) longer
/// than `seqlen`, cropped at a seeded random offset.
pub fn generated(tokenizer: &Tokenizer, path: &std::path::Path, count: usize, seqlen: usize, seed: u64) -> anyhow::Result<Windows> {
    let rows = secateurs_data::read_records(path)?;
    let mut documents = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let ids: Option<Vec<u32>> = row.get("ids").and_then(|ids| serde_json::from_value(ids.clone()).ok());
        let ids = match (ids, row.get("text").and_then(serde_json::Value::as_str)) {
            (Some(ids), _) => ids,
            (None, Some(text)) => tokenizer.encode(text, false).map_err(|e| anyhow::anyhow!("tokenizer: {e}"))?.get_ids().to_vec(),
            (None, None) => anyhow::bail!("{} row {i} has neither 'ids' nor 'text'", path.display()),
        };
        documents.push(ids);
    }
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    Windows::cropped(&documents, seqlen, count, seed, &name).with_context(|| format!("cannot take {count} generated windows from {}", path.display()))
}

/// Windows as an `[n, T]` int64 tensor.
pub fn tensor(windows: &Windows) -> tch::Tensor {
    tch::Tensor::from_slice(windows.ids()).view([windows.len() as i64, windows.seqlen() as i64])
}
