//! Perplexity protocols as data: where the text comes from, which field, how rows
//! are joined, how many rows and windows are used — PAPER.md §5's presets (as
//! SparseGPT's and the paper's code build them) and any local text source.

use serde::Serialize;

/// A perplexity protocol; recorded with every result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protocol {
    /// Preset or source name.
    pub name: String,
    /// Hub file (`hf:…`) or local path of the text.
    pub source: String,
    /// Text field of record files.
    pub field: String,
    /// What rows are joined with before tokenising.
    pub joiner: String,
    /// Use only the first rows (C4: 1100).
    pub max_rows: Option<usize>,
    /// Use only the first windows (C4: 256); `None`: every full window.
    pub max_windows: Option<usize>,
}

/// Preset names, in the order they are listed to users.
pub const PRESETS: [&str; 3] = ["wikitext2", "c4", "ptb"];

impl Protocol {
    /// A preset by name: `wikitext2` (raw test split joined with "\n\n"), `c4` (first
    /// 1100 validation documents joined with " ", first 256 windows), `ptb` (test
    /// sentences joined with " "); `None` for other names.
    pub fn preset(name: &str) -> Option<Self> {
        let make = |source: &str, field: &str, joiner: &str, max_rows, max_windows| Self {
            name: name.to_owned(),
            source: source.to_owned(),
            field: field.to_owned(),
            joiner: joiner.to_owned(),
            max_rows,
            max_windows,
        };
        match name {
            "wikitext2" => Some(make("hf:Salesforce/wikitext/wikitext-2-raw-v1/test-00000-of-00001.parquet", "text", "\n\n", None, None)),
            "c4" => Some(make("hf:allenai/c4/en/c4-validation.00000-of-00008.json.gz", "text", " ", Some(1100), Some(256))),
            "ptb" => Some(make("hf:ptb-text-only/ptb_text_only/ptb_text_only/test-00000-of-00001.parquet", "sentence", " ", None, None)),
            _ => None,
        }
    }

    /// A local text source (documents joined by a blank line), first `windows` windows.
    pub fn local(path: &str, windows: Option<usize>) -> Self {
        let name = std::path::Path::new(path).file_stem().map_or_else(|| path.to_owned(), |s| s.to_string_lossy().into_owned());
        Self { name, source: path.to_owned(), field: "text".into(), joiner: "\n\n".into(), max_rows: None, max_windows: windows }
    }

    /// How many windows of `seqlen` a stream of `tokens` gives under this protocol.
    pub fn windows(&self, tokens: usize, seqlen: usize) -> usize {
        let full = tokens / seqlen.max(1);
        self.max_windows.map_or(full, |m| m.min(full))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_follow_the_paper() {
        let c4 = Protocol::preset("c4").expect("c4");
        assert_eq!((c4.joiner.as_str(), c4.max_rows, c4.max_windows), (" ", Some(1100), Some(256)));
        assert_eq!(c4.windows(1_000_000, 2048), 256);
        let wiki = Protocol::preset("wikitext2").expect("wikitext2");
        assert_eq!((wiki.joiner.as_str(), wiki.windows(287_645, 2048)), ("\n\n", 140));
        assert!(Protocol::preset("lambada").is_none());
        assert_eq!(Protocol::local("assets/corpora/enwiki.txt", Some(32)).name, "enwiki");
    }
}
