//! What to prune: the sparsity, the pattern (unstructured or N:M) and the group in
//! which scores are compared. The group is always explicit: "50% per output row" and
//! "50% of the layer" give different masks, and records must say which ran.

use std::fmt;

use crate::Error;

/// The shape of the mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Any weights may be pruned.
    Unstructured,
    /// In every `m` consecutive input weights of a row, `n` are kept (2:4, 4:8).
    NofM {
        /// Weights kept per group.
        n: i64,
        /// Group size.
        m: i64,
    },
}

/// Where scores are compared when choosing what to prune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Within each output row: every row gets the same sparsity (Wanda's choice).
    Row,
    /// Across the whole layer: one threshold (the paper's magnitude baseline).
    Layer,
    /// Across all rows of each block of columns in SparseGPT's sweep (the reference
    /// SparseGPT's choice).
    ColumnBlock,
}

impl Group {
    /// All groups, by the names users type.
    pub const NAMES: [&'static str; 3] = ["row", "layer", "column-block"];

    /// Parses `row`, `layer` or `column-block`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "row" => Ok(Self::Row),
            "layer" => Ok(Self::Layer),
            "column-block" => Ok(Self::ColumnBlock),
            _ => Err(Error::InvalidSpec(format!(
                "unknown comparison group '{text}'; expected one of: {}",
                Self::NAMES.join(", ")
            ))),
        }
    }

    /// The name users type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Row => "row",
            Self::Layer => "layer",
            Self::ColumnBlock => "column-block",
        }
    }
}

/// A complete request: how much, in what pattern, compared where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparsitySpec {
    /// Fraction of weights pruned, in [0, 1).
    pub sparsity: f64,
    /// Unstructured or N:M.
    pub pattern: Pattern,
    /// Comparison group (ignored inside N:M groups, but always recorded).
    pub group: Group,
}

impl SparsitySpec {
    /// Parses a sparsity ("0.5"), a pattern ("unstructured", "2:4", "4:8", any N:M
    /// with 0 < N < M) and a group ("row", "layer", "column-block"). For N:M the
    /// sparsity must equal 1 − N/M.
    pub fn parse(sparsity: &str, pattern: &str, group: &str) -> Result<Self, Error> {
        let value: f64 = sparsity.trim().parse().map_err(|_| {
            Error::InvalidSpec(format!("sparsity '{sparsity}' is not a number; expected a fraction in [0, 1), e.g. 0.5"))
        })?;
        Self::new(value, parse_pattern(pattern)?, Group::parse(group)?)
    }

    /// Checks and builds a spec.
    pub fn new(sparsity: f64, pattern: Pattern, group: Group) -> Result<Self, Error> {
        if !(0.0..1.0).contains(&sparsity) {
            return Err(Error::InvalidSpec(format!("sparsity {sparsity} is outside [0, 1)")));
        }
        if let Pattern::NofM { n, m } = pattern {
            let implied = (m - n) as f64 / m as f64;
            if (implied - sparsity).abs() > 1e-9 {
                return Err(Error::InvalidSpec(format!(
                    "pattern {n}:{m} keeps {n} of every {m} weights, i.e. sparsity {implied}; got {sparsity}"
                )));
            }
        }
        Ok(Self { sparsity, pattern, group })
    }

    /// Checks that a weight with `in_features` columns can take this pattern.
    pub fn check_in_features(&self, in_features: i64) -> Result<(), Error> {
        match self.pattern {
            Pattern::NofM { m, .. } if in_features % m != 0 => {
                Err(Error::IndivisibleGroups { in_features, m })
            }
            _ => Ok(()),
        }
    }
}

impl Pattern {
    /// The name users type: `unstructured` or `N:M`.
    pub fn name(self) -> String {
        match self {
            Self::Unstructured => "unstructured".into(),
            Self::NofM { n, m } => format!("{n}:{m}"),
        }
    }
}

impl fmt::Display for SparsitySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pattern {
            Pattern::Unstructured => write!(f, "{} unstructured, per {}", self.sparsity, self.group.name()),
            Pattern::NofM { n, m } => write!(f, "{n}:{m} ({} sparse), per {}", self.sparsity, self.group.name()),
        }
    }
}

fn parse_pattern(text: &str) -> Result<Pattern, Error> {
    let trimmed = text.trim().to_ascii_lowercase();
    if trimmed == "unstructured" {
        return Ok(Pattern::Unstructured);
    }
    let invalid = || {
        Error::InvalidSpec(format!("unknown pattern '{text}'; expected 'unstructured' or 'N:M' with 0 < N < M (e.g. 2:4, 4:8)"))
    };
    let (n, m) = trimmed.split_once(':').ok_or_else(invalid)?;
    let (n, m): (i64, i64) = (n.parse().map_err(|_| invalid())?, m.parse().map_err(|_| invalid())?);
    if n <= 0 || n >= m {
        return Err(invalid());
    }
    Ok(Pattern::NofM { n, m })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_common_specs() {
        let s = SparsitySpec::parse("0.5", "unstructured", "row").expect("valid");
        assert_eq!((s.sparsity, s.pattern, s.group), (0.5, Pattern::Unstructured, Group::Row));
        let s = SparsitySpec::parse("0.5", "2:4", "layer").expect("valid");
        assert_eq!(s.pattern, Pattern::NofM { n: 2, m: 4 });
        assert_eq!(s.to_string(), "2:4 (0.5 sparse), per layer");
        assert!(SparsitySpec::parse("0.5", "4:8", "column-block").is_ok());
        assert!(SparsitySpec::parse("0", "unstructured", "row").is_ok());
    }

    #[test]
    fn errors_list_the_allowed_values() {
        let err = |s: &str, p: &str, g: &str| SparsitySpec::parse(s, p, g).expect_err("invalid").to_string();
        assert_eq!(
            err("0.5", "3:5x", "row"),
            "unknown pattern '3:5x'; expected 'unstructured' or 'N:M' with 0 < N < M (e.g. 2:4, 4:8)"
        );
        assert!(err("0.5", "4:2", "row").contains("0 < N < M"));
        assert_eq!(err("0.5", "unstructured", "col"), "unknown comparison group 'col'; expected one of: row, layer, column-block");
        assert!(err("half", "unstructured", "row").contains("expected a fraction in [0, 1)"));
        assert!(err("1.0", "unstructured", "row").contains("outside [0, 1)"));
        assert!(err("0.6", "2:4", "row").contains("i.e. sparsity 0.5; got 0.6"));
    }

    #[test]
    fn n_of_m_needs_whole_groups() {
        let spec = SparsitySpec::parse("0.5", "4:8", "row").expect("valid");
        assert!(spec.check_in_features(576).is_ok());
        let err = spec.check_in_features(12).expect_err("12 % 8 != 0");
        assert_eq!(err.to_string(), "in_features 12 is not a multiple of M = 8; N:M needs whole groups");
    }
}
