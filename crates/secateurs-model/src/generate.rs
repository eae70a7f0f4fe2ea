//! Text generation with a key/value cache: prompts batched with left padding, greedy
//! or sampled (temperature, top-k, top-p) decoding, reproducible from a seed, each
//! sequence stopping at an end-of-sequence token or after `max_new_tokens`.
//!
//! Sampling draws from a SplitMix64 stream seeded per call (one draw per sequence per
//! step, on the host), so results depend on the seed alone, not on libtorch's global
//! generator or the device.

use tch::{Kind, Tensor};

use crate::block::KvCache;
use crate::ctx::BlockCtx;
use crate::{Error, Model, SplitMix64};

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decoding {
    /// The most likely token.
    Greedy,
    /// A random token from the tempered, top-k / top-p filtered distribution.
    Sample {
        /// Divides the logits (1 = unchanged).
        temperature: f64,
        /// Keep the k most likely tokens (0 = all).
        top_k: i64,
        /// Keep the smallest set of tokens whose probability reaches p (1 = all).
        top_p: f64,
    },
}

/// Generation settings.
#[derive(Debug, Clone)]
pub struct GenerationConfig {
    /// Tokens to generate at most per sequence.
    pub max_new_tokens: usize,
    /// Greedy or sampled.
    pub decoding: Decoding,
    /// Seed of the sampling stream.
    pub seed: u64,
    /// Tokens that end a sequence.
    pub eos: Vec<i64>,
    /// Token used for left padding and after a sequence ended.
    pub pad: i64,
}

/// Generates continuations of `prompts` (token ids); returns only the new tokens of
/// each, up to and including its end-of-sequence token.
pub fn generate(model: &Model, prompts: &[Vec<i64>], config: &GenerationConfig) -> Result<Vec<Vec<i64>>, Error> {
    let _guard = tch::no_grad_guard();
    let device = model.device();
    let b = prompts.len();
    let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
    if longest == 0 {
        return Ok(vec![Vec::new(); b]);
    }
    let (prompt_ids, mask) = left_pad(prompts, longest, config.pad);
    let mut mask = mask.to_device(device); // [b, S], grows by one column per step
    let blocks = (0..model.num_blocks()).map(|i| model.load_block(i)).collect::<Result<Vec<_>, _>>()?;
    let mut caches: Vec<KvCache> = (0..blocks.len()).map(|_| None).collect();
    let mut rng = SplitMix64::new(config.seed);
    let mut outputs = vec![Vec::new(); b];
    let mut done = vec![false; b];

    let mut step_ids = prompt_ids.to_device(device); // [b, P], then [b, 1]
    for _ in 0..config.max_new_tokens {
        let new = step_ids.size()[1];
        let ctx = BlockCtx::for_new_tokens(&model.arch, &mask, new);
        let mut x = model.embed_at(&step_ids, &ctx);
        for (block, cache) in blocks.iter().zip(caches.iter_mut()) {
            x = block.forward_cached(&x, &ctx, Some(cache));
        }
        let logits = model.logits(&x.narrow(1, new - 1, 1)).squeeze_dim(1).to_kind(Kind::Float); // [b, V]
        let mut next = choose(&logits, config.decoding, &mut rng);
        for (row, token) in next.iter_mut().enumerate() {
            if done[row] {
                *token = config.pad;
            } else {
                outputs[row].push(*token);
                done[row] = config.eos.contains(token);
            }
        }
        if done.iter().all(|&d| d) {
            break;
        }
        step_ids = Tensor::from_slice(&next).view([b as i64, 1]).to_device(device);
        mask = Tensor::cat(&[&mask, &mask.ones_like().narrow(1, 0, 1)], 1);
    }
    Ok(outputs)
}

/// `[b, P]` ids and mask, prompts aligned to the right.
fn left_pad(prompts: &[Vec<i64>], longest: usize, pad: i64) -> (Tensor, Tensor) {
    let mut ids = Vec::with_capacity(prompts.len() * longest);
    let mut mask = Vec::with_capacity(prompts.len() * longest);
    for prompt in prompts {
        let padding = longest - prompt.len();
        ids.extend(std::iter::repeat_n(pad, padding).chain(prompt.iter().copied()));
        mask.extend(std::iter::repeat_n(0i64, padding).chain(std::iter::repeat_n(1, prompt.len())));
    }
    let shape = [prompts.len() as i64, longest as i64];
    (Tensor::from_slice(&ids).view(shape), Tensor::from_slice(&mask).view(shape))
}

/// The next token of each row of `logits: [b, V]`.
fn choose(logits: &Tensor, decoding: Decoding, rng: &mut SplitMix64) -> Vec<i64> {
    match decoding {
        Decoding::Greedy => Vec::<i64>::try_from(logits.argmax(-1, false).to_device(tch::Device::Cpu)).unwrap_or_default(),
        Decoding::Sample { temperature, top_k, top_p } => {
            let rows = logits.size()[0];
            let probs = filtered_probs(&(logits / temperature.max(1e-6)), top_k, top_p).to_device(tch::Device::Cpu);
            (0..rows)
                .map(|r| {
                    let p: Vec<f64> = Vec::<f64>::try_from(probs.get(r).to_kind(Kind::Double)).unwrap_or_default();
                    sample_index(&p, rng.next_f64()) as i64
                })
                .collect()
        }
    }
}

/// Softmax of `logits: [b, V]` after keeping the top `k` and the top-`p` nucleus
/// (transformers' TopK and TopP warpers: ties at the k-th value kept; the nucleus is
/// the smallest prefix of the sorted distribution reaching `p`, at least one token).
fn filtered_probs(logits: &Tensor, top_k: i64, top_p: f64) -> Tensor {
    let vocab = logits.size()[1];
    let mut logits = logits.shallow_clone();
    if top_k > 0 && top_k < vocab {
        let (kth, _) = logits.topk(top_k, -1, true, true);
        let threshold = kth.narrow(1, top_k - 1, 1);
        logits = logits.masked_fill(&logits.lt_tensor(&threshold), f64::NEG_INFINITY);
    }
    if top_p < 1.0 {
        let (sorted, order) = logits.sort(-1, false); // ascending
        let cumulative = sorted.softmax(-1, Kind::Float).cumsum(-1, Kind::Float);
        let remove = cumulative.le(1.0 - top_p);
        let _ = remove.narrow(1, vocab - 1, 1).fill_(0); // keep the most likely token
        let remove = remove.scatter(1, &order, &remove.shallow_clone());
        logits = logits.masked_fill(&remove, f64::NEG_INFINITY);
    }
    logits.softmax(-1, Kind::Float)
}

/// The index where the cumulative sum of `probs` first exceeds `u` ∈ [0, 1).
fn sample_index(probs: &[f64], u: f64) -> usize {
    let total: f64 = probs.iter().sum();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p / total;
        if u < acc {
            return i;
        }
    }
    probs.iter().rposition(|&p| p > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_and_top_p_keep_the_expected_tokens() {
        // Probabilities ∝ [0.5, 0.3, 0.15, 0.05].
        let logits = Tensor::from_slice(&[0.5f64, 0.3, 0.15, 0.05]).log().to_kind(Kind::Float).view([1, 4]);
        let kept = |t: Tensor| Vec::<f32>::try_from(t.view([-1])).unwrap_or_default().iter().map(|&p| p > 0.0).collect::<Vec<_>>();
        assert_eq!(kept(filtered_probs(&logits, 2, 1.0)), [true, true, false, false]);
        // Nucleus 0.7: 0.5 + 0.3 reaches it; 0.15 and 0.05 go.
        assert_eq!(kept(filtered_probs(&logits, 0, 0.7)), [true, true, false, false]);
        assert_eq!(kept(filtered_probs(&logits, 0, 0.1)), [true, false, false, false]);
        assert_eq!(kept(filtered_probs(&logits, 0, 1.0)), [true, true, true, true]);
    }

    #[test]
    fn sampling_follows_the_cumulative_distribution() {
        let p = [0.25, 0.0, 0.75];
        assert_eq!(sample_index(&p, 0.1), 0);
        assert_eq!(sample_index(&p, 0.25), 2);
        assert_eq!(sample_index(&p, 0.999), 2);
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        assert_eq!((a.next_u64(), a.next_f64()), (b.next_u64(), b.next_f64()));
    }

    #[test]
    fn prompts_are_left_padded() {
        let (ids, mask) = left_pad(&[vec![5, 6, 7], vec![8]], 3, 0);
        assert_eq!(Vec::<i64>::try_from(ids.view([-1])).unwrap_or_default(), [5, 6, 7, 0, 0, 8]);
        assert_eq!(Vec::<i64>::try_from(mask.view([-1])).unwrap_or_default(), [1, 1, 1, 0, 0, 1]);
    }
}
