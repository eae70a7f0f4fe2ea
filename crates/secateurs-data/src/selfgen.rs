//! Self-generated calibration text (PAPER.md §4): the dense model writes its own
//! calibration data. Each text starts from a uniformly random token, continues with
//! 4 greedy tokens, is kept only if that prefix is detected as English (`whatlang`),
//! then is sampled (temperature 1, top-k 50, top-p 1 by default) to EOS or a maximum
//! length — batched with a KV cache, reproducible from the seed. Beyond the paper,
//! optional filters reject short texts, repetitive texts and code-like texts.

use std::collections::HashSet;

use secateurs_model::{Decoding, GenerationConfig, Model, SplitMix64, generate};
use serde::Serialize;
use tokenizers::Tokenizer;

use crate::Error;

/// Give up when this many prefixes per wanted text were drawn (a model that never
/// writes English would otherwise loop for ever).
const MAX_PREFIXES_PER_TEXT: usize = 50;

/// Generation settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfGenConfig {
    /// Texts to keep.
    pub count: usize,
    /// Maximum tokens per text (prefix included).
    pub max_len: usize,
    /// Sequences generated together.
    pub batch: usize,
    /// Seed of first tokens and sampling.
    pub seed: u64,
    /// Greedy tokens after the random first one (the language check reads them).
    pub greedy_prefix: usize,
    /// Sampling temperature.
    pub temperature: f64,
    /// Top-k (0 = all).
    pub top_k: i64,
    /// Top-p (1 = all).
    pub top_p: f64,
    /// Reject texts with fewer tokens.
    pub min_len: Option<usize>,
    /// Reject texts whose share of repeated 4-grams exceeds this.
    pub max_repeated_4grams: Option<f64>,
    /// Reject texts that look like source code.
    pub reject_code: bool,
}

impl SelfGenConfig {
    /// The paper's settings for `count` texts of at most `max_len` tokens.
    pub fn paper(count: usize, max_len: usize) -> Self {
        Self { count, max_len, batch: 8, seed: 0, greedy_prefix: 4, temperature: 1.0, top_k: 50, top_p: 1.0, min_len: None, max_repeated_4grams: None, reject_code: false }
    }
}

/// One kept text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratedText {
    /// Position in generation order.
    pub index: usize,
    /// The decoded text.
    pub text: String,
    /// Its token ids (prefix included).
    pub ids: Vec<u32>,
}

/// What happened while generating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SelfGenStats {
    /// Prefixes drawn.
    pub prefixes: usize,
    /// Prefixes rejected as not English.
    pub rejected_language: usize,
    /// Full texts rejected by the optional filters.
    pub rejected_filters: usize,
    /// Tokens sampled after the prefixes.
    pub sampled_tokens: usize,
    /// Seconds spent sampling after the prefixes.
    pub sampling_seconds: f64,
    /// Total seconds.
    pub seconds: f64,
}

impl SelfGenStats {
    /// Share of drawn prefixes or texts that were not kept.
    pub fn rejected_share(&self) -> f64 {
        (self.rejected_language + self.rejected_filters) as f64 / self.prefixes.max(1) as f64
    }
}

/// End-of-sequence ids from `generation_config.json` or `config.json`.
pub fn eos_ids(model: &Model) -> Vec<i64> {
    let from = |v: Option<&serde_json::Value>| -> Vec<i64> {
        match v {
            Some(serde_json::Value::Number(n)) => n.as_i64().into_iter().collect(),
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(serde_json::Value::as_i64).collect(),
            _ => Vec::new(),
        }
    };
    let ckpt = &model.checkpoint;
    let ids = from(ckpt.generation_config.as_ref().and_then(|g| g.get("eos_token_id")));
    if ids.is_empty() { from(ckpt.config.extra.get("eos_token_id")) } else { ids }
}

/// Whether the text reads as English.
pub fn is_english(text: &str) -> bool {
    whatlang::detect(text).is_some_and(|info| info.lang() == whatlang::Lang::Eng)
}

/// Share of 4-grams (of tokens) that repeat an earlier one.
pub fn repeated_4gram_share(ids: &[u32]) -> f64 {
    if ids.len() < 5 {
        return 0.0;
    }
    let mut seen = HashSet::new();
    let grams = ids.windows(4);
    let total = grams.len();
    let repeats = grams.filter(|g| !seen.insert(*g)).count();
    repeats as f64 / total as f64
}

/// A heuristic for source code: many lines ending in `;`, `{` or `}`, or a high
/// share of code punctuation.
pub fn looks_like_code(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let code_lines = lines.iter().filter(|l| l.ends_with(';') || l.ends_with('{') || l.ends_with('}') || l.starts_with("def ") || l.starts_with("import ") || l.starts_with("#include")).count();
    let symbols = text.chars().filter(|c| "{}[]();=<>_\\/#$".contains(*c)).count();
    (!lines.is_empty() && code_lines * 3 >= lines.len()) || symbols * 10 > text.chars().count().max(1)
}

/// Generates `config.count` texts; `on_text(kept, stats)` reports progress.
pub fn generate_texts(model: &Model, tokenizer: &Tokenizer, config: &SelfGenConfig, on_text: &mut dyn FnMut(usize, &SelfGenStats)) -> Result<(Vec<GeneratedText>, SelfGenStats), Error> {
    let started = std::time::Instant::now();
    let decode = |ids: &[i64]| -> Result<String, Error> {
        let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
        tokenizer.decode(&ids, true).map_err(|e| Error::Tokenizer { source_name: "generated".into(), message: e.to_string() })
    };
    let eos = eos_ids(model);
    let pad = eos.first().copied().unwrap_or(0);
    let vocab = model.arch.vocab as u64;
    let mut rng = SplitMix64::new(config.seed);
    let mut stats = SelfGenStats::default();
    let mut kept = Vec::new();
    let batch = config.batch.max(1);
    while kept.len() < config.count {
        // English prefixes for one batch: random first token, then greedy tokens.
        let mut prefixes = Vec::new();
        while prefixes.len() < batch {
            if stats.prefixes >= MAX_PREFIXES_PER_TEXT * config.count.max(1) {
                return Err(Error::NotEnglish { drawn: stats.prefixes, kept: kept.len() + prefixes.len(), wanted: config.count });
            }
            let firsts: Vec<Vec<i64>> = (0..batch).map(|_| vec![rng.below(vocab) as i64]).collect();
            let greedy = GenerationConfig { max_new_tokens: config.greedy_prefix, decoding: Decoding::Greedy, seed: 0, eos: Vec::new(), pad };
            for (first, rest) in firsts.iter().zip(generate(model, &firsts, &greedy)?) {
                stats.prefixes += 1;
                let prefix: Vec<i64> = first.iter().copied().chain(rest).collect();
                if is_english(&decode(&prefix)?) {
                    prefixes.push(prefix);
                } else {
                    stats.rejected_language += 1;
                }
            }
        }
        prefixes.truncate(batch);
        let sampling = GenerationConfig {
            max_new_tokens: config.max_len.saturating_sub(config.greedy_prefix + 1),
            decoding: Decoding::Sample { temperature: config.temperature, top_k: config.top_k, top_p: config.top_p },
            seed: rng.next_u64(),
            eos: eos.clone(),
            pad,
        };
        let sampling_started = std::time::Instant::now();
        let continuations = generate(model, &prefixes, &sampling)?;
        stats.sampling_seconds += sampling_started.elapsed().as_secs_f64();
        for (prefix, continuation) in prefixes.iter().zip(continuations) {
            stats.sampled_tokens += continuation.len();
            let ids: Vec<i64> = prefix.iter().copied().chain(continuation.into_iter().filter(|id| !eos.contains(id))).collect();
            let text = decode(&ids)?;
            let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
            let too_short = config.min_len.is_some_and(|m| ids.len() < m);
            let repetitive = config.max_repeated_4grams.is_some_and(|m| repeated_4gram_share(&ids) > m);
            if too_short || repetitive || (config.reject_code && looks_like_code(&text)) {
                stats.rejected_filters += 1;
                continue;
            }
            if kept.len() < config.count {
                kept.push(GeneratedText { index: kept.len(), text, ids });
                on_text(kept.len(), &stats);
            }
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok((kept, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_hand() {
        assert!(is_english("The history of the city begins in the early nineteenth century, when settlers arrived."));
        assert!(!is_english("Der Hund läuft schnell über die große Wiese und bellt laut."));
        // 4-grams 1234, 2341, 3412, 4123, 1234: one of five repeats an earlier one.
        assert_eq!(repeated_4gram_share(&[1, 2, 3, 4, 1, 2, 3, 4]), 0.2);
        assert_eq!(repeated_4gram_share(&[1, 2, 3, 4, 5, 6]), 0.0);
        assert!(looks_like_code("int main() {\n  return 0;\n}\n"));
        assert!(looks_like_code("def f(x):\n    return x[0] + y_1\n"));
        assert!(!looks_like_code("It was a bright cold day in April, and the clocks were striking thirteen."));
    }
}
