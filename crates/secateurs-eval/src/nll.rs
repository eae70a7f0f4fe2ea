//! Next-token negative log-likelihood, the quantity behind perplexity:
//! ppl = exp(Σ NLL / number of predicted tokens).

use tch::{Kind, Tensor};

/// A running sum of token NLLs and the number of tokens predicted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NllSum {
    /// Σ −log p(token | prefix), in nats.
    pub nll: f64,
    /// Number of predicted tokens.
    pub tokens: i64,
}

impl std::ops::Add for NllSum {
    type Output = Self;

    /// Combines two batches' sums.
    fn add(self, other: Self) -> Self {
        Self { nll: self.nll + other.nll, tokens: self.tokens + other.tokens }
    }
}

impl NllSum {
    /// Mean NLL per predicted token (NaN when nothing was predicted).
    pub fn mean(&self) -> f64 {
        self.nll / self.tokens as f64
    }

    /// exp(mean NLL).
    pub fn perplexity(&self) -> f64 {
        self.mean().exp()
    }
}

/// Sums the NLL of predicting `ids[:, t+1]` from `logits[:, t]`.
///
/// `logits: [b, T, V]` (any float dtype; the softmax runs in f32), `ids: [b, T]`,
/// `attention_mask: [b, T]` (1 = real token) — a prediction counts only when both
/// the position predicting and the token predicted are real, so left or right
/// padding contributes nothing.
pub fn next_token_nll(logits: &Tensor, ids: &Tensor, attention_mask: Option<&Tensor>) -> NllSum {
    let t = logits.size()[1];
    let log_probs = logits.narrow(1, 0, t - 1).to_kind(Kind::Float).log_softmax(-1, Kind::Float); // [b, T-1, V]
    let targets = ids.narrow(1, 1, t - 1).unsqueeze(-1); // [b, T-1, 1]
    let token_nll = -log_probs.gather(-1, &targets, false).squeeze_dim(-1); // [b, T-1]
    let counted = match attention_mask {
        Some(mask) => {
            let mask = mask.to_kind(Kind::Bool);
            mask.narrow(1, 0, t - 1).logical_and(&mask.narrow(1, 1, t - 1))
        }
        None => token_nll.ones_like().to_kind(Kind::Bool),
    };
    let nll = token_nll.masked_select(&counted).to_kind(Kind::Double).sum(Kind::Double).double_value(&[]);
    let tokens = counted.sum(Kind::Int64).int64_value(&[]);
    NllSum { nll, tokens }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn hand_checked_two_token_vocabulary() {
        // Logits [0, ln 3] give p = [1/4, 3/4]. Row 0 predicts token 1 (p 3/4), then
        // token 0 (p 1/4); row 1 predicts token 1 twice.
        let l = 3f32.ln();
        let logits = Tensor::from_slice(&[0.0, l, 0.0, l, 0.0, l, 0.0, l, 0.0, l, 0.0, l]).view([2, 3, 2]);
        let ids = Tensor::from_slice(&[0i64, 1, 0, 0, 1, 1]).view([2, 3]);
        let sum = next_token_nll(&logits, &ids, None);
        let expected = -(0.75f64.ln() + 0.25f64.ln() + 2.0 * 0.75f64.ln());
        assert_eq!(sum.tokens, 4);
        assert!((sum.nll - expected).abs() < 1e-5, "{} vs {expected}", sum.nll);
    }

    #[test]
    fn padding_predicts_nothing_and_is_not_predicted() {
        let logits = Tensor::randn([2, 4, 7], (Kind::Float, Device::Cpu));
        let ids = Tensor::from_slice(&[3i64, 1, 4, 1, 0, 5, 2, 6]).view([2, 4]);
        // Row 1 is left-padded by one: its first prediction must not count.
        let mask = Tensor::from_slice(&[1i64, 1, 1, 1, 0, 1, 1, 1]).view([2, 4]);
        let masked = next_token_nll(&logits, &ids, Some(&mask));
        let row0 = next_token_nll(&logits.narrow(0, 0, 1), &ids.narrow(0, 0, 1), None);
        let row1 = next_token_nll(&logits.narrow(0, 1, 1).narrow(1, 1, 3), &ids.narrow(0, 1, 1).narrow(1, 1, 3), None);
        assert_eq!(masked.tokens, 3 + 2);
        assert!((masked.nll - (row0 + row1).nll).abs() < 1e-5);
    }

    #[test]
    fn batching_does_not_change_the_sum() {
        let logits = Tensor::randn([4, 5, 11], (Kind::Float, Device::Cpu));
        let ids = Tensor::randint(11, [4, 5], (Kind::Int64, Device::Cpu));
        let whole = next_token_nll(&logits, &ids, None);
        let halves = next_token_nll(&logits.narrow(0, 0, 2), &ids.narrow(0, 0, 2), None)
            + next_token_nll(&logits.narrow(0, 2, 2), &ids.narrow(0, 2, 2), None);
        assert_eq!(whole.tokens, halves.tokens);
        assert!((whole.perplexity() - halves.perplexity()).abs() < 1e-4);
    }
}
