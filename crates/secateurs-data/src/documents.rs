//! Documents of the corpus format and their tokenisation into one stream.

use tokenizers::Tokenizer;

use crate::Error;

/// Splits corpus text into documents: blocks separated by blank lines, trimmed,
/// empty ones dropped.
pub fn split_documents(text: &str) -> Vec<&str> {
    text.split("\n\n").map(str::trim).filter(|doc| !doc.is_empty()).collect()
}

/// Tokenises documents into one stream, without special tokens (no BOS), documents
/// joined by `separator` (e.g. "\n\n") before tokenising, as perplexity protocols
/// join a test set.
pub fn tokenize_stream(
    tokenizer: &Tokenizer,
    documents: &[&str],
    separator: &str,
    source_name: &str,
) -> Result<Vec<u32>, Error> {
    let text = documents.join(separator);
    let encoding = tokenizer
        .encode(text, false)
        .map_err(|e| Error::Tokenizer { source_name: source_name.to_owned(), message: e.to_string() })?;
    Ok(encoding.get_ids().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_separate_documents_and_lines_stay() {
        let text = "\n\nA title\nbody one\n\n\n\nsecond\n\n  \n";
        assert_eq!(split_documents(text), ["A title\nbody one", "second"]);
    }
}
