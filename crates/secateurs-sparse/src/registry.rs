//! The one place method names map to pruners: each entry declares the statistics it
//! needs and the comparison groups it supports, so callers never match on names.

use tch::Tensor;

use crate::stats::Needs;
use crate::{Error, Group, LayerStats, Pruned, SparsitySpec, magnitude, sparsegpt, wanda};

/// A pruner's signature: `(weight [out, in], statistics, spec) -> pruned weight + mask`.
pub type PruneFn = fn(&Tensor, &LayerStats, &SparsitySpec) -> Result<Pruned, Error>;

/// A registered pruning method.
#[derive(Debug)]
pub struct Method {
    /// The name users type.
    pub name: &'static str,
    /// Statistics to accumulate before pruning.
    pub needs: Needs,
    /// Comparison groups it supports; the first is its default.
    pub groups: &'static [Group],
    /// Whether it updates the kept weights (SparseGPT's OBS update) or only masks.
    pub updates_weights: bool,
    prune: PruneFn,
}

/// Every method, in the order they are listed to users.
pub const METHODS: [Method; 3] = [
    Method {
        name: "magnitude",
        needs: Needs { hessian: false, input_sq_norm: false },
        groups: &[Group::Layer, Group::Row],
        updates_weights: false,
        prune: magnitude::magnitude,
    },
    Method {
        name: "wanda",
        needs: Needs { hessian: false, input_sq_norm: true },
        groups: &[Group::Row, Group::Layer],
        updates_weights: false,
        prune: wanda::wanda,
    },
    Method {
        name: "sparsegpt",
        needs: Needs { hessian: true, input_sq_norm: false },
        groups: &[Group::ColumnBlock, Group::Row],
        updates_weights: true,
        prune: sparsegpt::sparsegpt,
    },
];

/// The method of that name; the error lists the known ones.
pub fn method(name: &str) -> Result<&'static Method, Error> {
    METHODS.iter().find(|m| m.name.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
        let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        Error::UnknownMethod(format!("unknown pruning method '{name}'; expected one of: {}", names.join(", ")))
    })
}

impl Method {
    /// The default comparison group (the one the method's paper uses).
    pub fn default_group(&self) -> Group {
        self.groups[0]
    }

    /// Prunes `weight` after checking the spec's group is one this method supports.
    pub fn prune(&self, weight: &Tensor, stats: &LayerStats, spec: &SparsitySpec) -> Result<Pruned, Error> {
        if !self.groups.contains(&spec.group) {
            let allowed: Vec<&str> = self.groups.iter().map(|g| g.name()).collect();
            return Err(Error::InvalidSpec(format!(
                "{} does not compare per {}; expected one of: {}",
                self.name,
                spec.group.name(),
                allowed.join(", ")
            )));
        }
        let _span = tracing::debug_span!("prune", method = self.name, shape = ?weight.size()).entered();
        (self.prune)(weight, stats, spec)
    }
}
