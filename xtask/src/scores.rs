//! Reading `secateurs eval --out` files (lm-eval's JSON layout): perplexity per
//! text source and analogy accuracy.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// What one eval file says: perplexity per source (in the order asked) and analogy
/// accuracy.
pub struct Scores {
    /// Source name (file stem) and perplexity.
    pub perplexity: Vec<(String, f64)>,
    /// Analogy accuracy, if the task ran.
    pub analogy: Option<f64>,
}

/// The scores in `path` for the text `sources` (paths; results are keyed by file stem).
pub fn read_eval(path: &Path, sources: &[String]) -> Result<Scores> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let results = &value["results"];
    let mut ppl = Vec::new();
    for source in sources {
        let name = Path::new(source).file_stem().map_or(source.clone(), |s| s.to_string_lossy().into_owned());
        let value = results[&name]["perplexity,none"].as_f64().with_context(|| format!("{} has no perplexity for {name}", path.display()))?;
        ppl.push((name, value));
    }
    Ok(Scores { perplexity: ppl, analogy: results["analogy"]["acc,none"].as_f64() })
}
