//! Text sources, each read as a list of documents (rows) with a stable name — its
//! file or directory name — that goes into fingerprints:
//! - `*.txt`: the corpus format (documents separated by blank lines, trimmed);
//! - `*.raw`, `*.tokens`: WikiText raw files, one row per line with its newline kept
//!   (the rows of the Hugging Face `wikitext` dataset);
//! - record files (`*.jsonl`, `*.json`, `*.json.gz`, `*.jsonl.gz`, `*.parquet`): the
//!   named text field of every row (`text` unless told);
//! - a directory: every file of those kinds in it, in name order.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::records::{RecordFormat, read_records, read_to_string, text_field};
use crate::{Error, split_documents};

/// The documents of a text source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSource {
    /// Stable name (file or directory name).
    pub name: String,
    /// Its documents, in order.
    pub documents: Vec<String>,
}

fn is_text_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    RecordFormat::of(path).is_some() || [".txt", ".raw", ".tokens"].iter().any(|ext| name.ends_with(ext))
}

impl TextSource {
    /// Reads a file or directory, taking the `text` field of record files.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_field(path, "text")
    }

    /// Reads a file or directory, taking `field` from record files.
    pub fn open_field(path: &Path, field: &str) -> Result<Self, Error> {
        let read_error = |message: String| Error::Read { path: path.to_owned(), message };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| read_error(e.to_string()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_text_file(p))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(read_error("the directory holds no text file (*.txt, *.raw, *.tokens, *.jsonl, *.json(.gz), *.parquet)".into()));
            }
            files
        } else {
            vec![path.to_owned()]
        };
        let mut documents = Vec::new();
        for file in &files {
            documents.extend(read_documents(file, field)?);
        }
        if documents.is_empty() {
            return Err(read_error("no text in it".into()));
        }
        Ok(Self { name, documents })
    }

    /// Each document tokenised on its own, without special tokens.
    pub fn tokenize_documents(&self, tokenizer: &Tokenizer) -> Result<Vec<Vec<u32>>, Error> {
        let texts: Vec<&str> = self.documents.iter().map(String::as_str).collect();
        let encodings = tokenizer
            .encode_batch(texts, false)
            .map_err(|e| Error::Tokenizer { source_name: self.name.clone(), message: e.to_string() })?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// The whole source as one token stream, documents joined by `separator`.
    pub fn tokenize_stream(&self, tokenizer: &Tokenizer, separator: &str) -> Result<Vec<u32>, Error> {
        let documents: Vec<&str> = self.documents.iter().map(String::as_str).collect();
        crate::tokenize_stream(tokenizer, &documents, separator, &self.name)
    }
}

fn read_documents(file: &Path, field: &str) -> Result<Vec<String>, Error> {
    if RecordFormat::of(file).is_some() {
        return text_field(&read_records(file)?, field, file);
    }
    let text = read_to_string(file)?;
    let name = file.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.ends_with(".raw") || name.ends_with(".tokens") {
        Ok(text.split_inclusive('\n').map(str::to_owned).collect())
    } else {
        Ok(split_documents(&text).into_iter().map(str::to_owned).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_directories_read_as_documents() {
        let scratch = tempfile::tempdir().expect("temp dir");
        let dir = scratch.path();
        std::fs::write(dir.join("b.txt"), "second file\n").expect("write");
        std::fs::write(dir.join("a.txt"), "one\n\ntwo\nlines\n").expect("write");
        std::fs::write(dir.join("skip.md"), "not text").expect("write");
        let file = TextSource::open(&dir.join("a.txt")).expect("file");
        assert_eq!((file.name.as_str(), file.documents.clone()), ("a.txt", vec!["one".to_owned(), "two\nlines".to_owned()]));
        let all = TextSource::open(dir).expect("directory");
        assert_eq!(all.documents, ["one", "two\nlines", "second file"]);
        let missing = TextSource::open(&dir.join("nope.txt")).expect_err("missing");
        assert!(missing.to_string().contains("nope.txt"), "{missing}");
    }

    #[test]
    fn wikitext_raw_rows_keep_their_newlines() {
        let scratch = tempfile::tempdir().expect("temp dir");
        let dir = scratch.path();
        std::fs::write(dir.join("wiki.test.raw"), " \n = Robert Boulter = \n \n Robert Boulter is an English actor .\n").expect("write");
        let source = TextSource::open(&dir.join("wiki.test.raw")).expect("raw");
        assert_eq!(source.documents, [" \n", " = Robert Boulter = \n", " \n", " Robert Boulter is an English actor .\n"]);
    }
}
