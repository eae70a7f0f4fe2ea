//! Plain-text sources: a file in the corpus format (documents separated by blank
//! lines), or a directory of such files (every `*.txt`, in name order). Each source
//! has a stable name — its file or directory name — that goes into fingerprints.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::{Error, split_documents};

/// The documents of a text source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSource {
    /// Stable name (file or directory name).
    pub name: String,
    /// Its documents, in order.
    pub documents: Vec<String>,
}

impl TextSource {
    /// Reads a text file or a directory of `*.txt` files.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let read_error = |message: String| Error::Read { path: path.to_owned(), message };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let files = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| read_error(e.to_string()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "txt"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(read_error("the directory holds no *.txt file".into()));
            }
            files
        } else {
            vec![path.to_owned()]
        };
        let mut documents = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::Read { path: file.clone(), message: e.to_string() })?;
            documents.extend(split_documents(&text).into_iter().map(str::to_owned));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_directories_read_as_documents() {
        let dir = std::env::temp_dir().join(format!("secateurs-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("b.txt"), "second file\n").expect("write");
        std::fs::write(dir.join("a.txt"), "one\n\ntwo\nlines\n").expect("write");
        std::fs::write(dir.join("skip.json"), "{}").expect("write");
        let file = TextSource::open(&dir.join("a.txt")).expect("file");
        assert_eq!((file.name.as_str(), file.documents.clone()), ("a.txt", vec!["one".to_owned(), "two\nlines".to_owned()]));
        let all = TextSource::open(&dir).expect("directory");
        assert_eq!(all.documents, ["one", "two\nlines", "second file"]);
        let missing = TextSource::open(&dir.join("nope.txt")).expect_err("missing");
        assert!(missing.to_string().contains("nope.txt"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
