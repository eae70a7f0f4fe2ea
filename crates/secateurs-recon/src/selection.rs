//! Which linears a run prunes, in llm-compressor's vocabulary: `targets` and
//! `ignore` lists whose entries are `re:REGEX` (matched from the start of the full
//! tensor prefix, as Python's `re.match`), `Linear` (every linear), or a name that
//! equals the full prefix or ends it after a dot (`down_proj`, `mlp.down_proj`,
//! `model.layers.0.mlp.down_proj`). A linear is pruned when it matches a target (or
//! there are none) and no ignore entry.

use regex::Regex;

use crate::Error;

/// One entry of `targets` or `ignore`.
#[derive(Debug, Clone)]
enum Matcher {
    All,
    Regex(Regex),
    Name(String),
}

impl Matcher {
    fn parse(entry: &str) -> Result<Self, Error> {
        if entry == "Linear" {
            return Ok(Self::All);
        }
        if let Some(pattern) = entry.strip_prefix("re:") {
            return Regex::new(&format!("^(?:{pattern})")).map(Self::Regex).map_err(|e| Error::Invalid(format!("bad regex in '{entry}': {e}")));
        }
        if entry.is_empty() {
            return Err(Error::Invalid("an empty targets/ignore entry; expected 're:REGEX', 'Linear' or a linear's name".into()));
        }
        Ok(Self::Name(entry.to_owned()))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Regex(re) => re.is_match(name),
            Self::Name(n) => name == n || name.strip_suffix(n.as_str()).is_some_and(|head| head.ends_with('.')),
        }
    }
}

/// The linears to prune.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    targets: Vec<Matcher>,
    ignore: Vec<Matcher>,
}

impl Selection {
    /// Every linear.
    pub fn all() -> Self {
        Self::default()
    }

    /// From `targets` (empty = all) and `ignore` entries.
    pub fn new(targets: &[String], ignore: &[String]) -> Result<Self, Error> {
        let parse = |entries: &[String]| entries.iter().map(|e| Matcher::parse(e)).collect::<Result<Vec<_>, _>>();
        Ok(Self { targets: parse(targets)?, ignore: parse(ignore)? })
    }

    /// Whether the linear with this full name (e.g. `model.layers.3.mlp.down_proj`)
    /// is pruned.
    pub fn prunes(&self, name: &str) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|m| m.matches(name))) && !self.ignore.iter().any(|m| m.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn targets_and_ignore_follow_llm_compressor() {
        let all = Selection::all();
        assert!(all.prunes("model.layers.0.self_attn.q_proj"));
        let mlp = Selection::new(&strings(&["re:.*mlp.*"]), &strings(&["down_proj"])).expect("valid");
        assert!(mlp.prunes("model.layers.3.mlp.up_proj"));
        assert!(!mlp.prunes("model.layers.3.mlp.down_proj"), "ignored by name suffix");
        assert!(!mlp.prunes("model.layers.3.self_attn.q_proj"), "not a target");
        let linear = Selection::new(&strings(&["Linear"]), &strings(&["re:model\\.layers\\.0\\."])).expect("valid");
        assert!(!linear.prunes("model.layers.0.mlp.up_proj"));
        assert!(linear.prunes("model.layers.10.mlp.up_proj"));
        assert!(Selection::new(&[], &strings(&["proj"])).expect("valid").prunes("model.layers.1.mlp.up_proj"), "a suffix must follow a dot");
    }

    #[test]
    fn bad_regexes_name_the_entry() {
        let err = Selection::new(&strings(&["re:(unclosed"]), &[]).expect_err("bad regex");
        assert!(err.to_string().contains("re:(unclosed"), "{err}");
    }
}
