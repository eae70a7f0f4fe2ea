//! Log-likelihood of a continuation given a context, scored as lm-evaluation-harness
//! scores it: trailing spaces of the context move to the continuation; the pair is
//! tokenised whole and the continuation's tokens are those after the context's own
//! tokenisation; the input is `(context + continuation)[-(max + 1):][:-1]`; the score
//! is the sum of the continuation tokens' log-probabilities, and `greedy` says whether
//! each was the argmax. Requests run in batches, longest first, right-padded.

use tch::{Kind, Tensor};
use tokenizers::Tokenizer;

use crate::{Error, Resident};

/// One log-likelihood request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What the model reads.
    pub context: String,
    /// What it is scored on (usually starting with the target delimiter " ").
    pub continuation: String,
}

/// A request's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Σ log p(continuation token | prefix).
    pub loglik: f64,
    /// Whether every continuation token was the most likely one.
    pub greedy: bool,
}

/// lm-eval's `_encode_pair`: (context ids, continuation ids).
pub fn encode_pair(tokenizer: &Tokenizer, context: &str, continuation: &str) -> Result<(Vec<i64>, Vec<i64>), Error> {
    let spaces = context.len() - context.trim_end().len();
    let (context, continuation) = if spaces > 0 {
        (&context[..context.len() - spaces], format!("{}{continuation}", &context[context.len() - spaces..]))
    } else {
        (context, continuation.to_owned())
    };
    let encode = |text: &str| -> Result<Vec<i64>, Error> {
        let encoding = tokenizer.encode(text, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().iter().map(|&id| i64::from(id)).collect())
    };
    let whole = encode(&format!("{context}{continuation}"))?;
    let context_ids = encode(context)?;
    let split = context_ids.len().min(whole.len());
    Ok((whole[..split].to_vec(), whole[split..].to_vec()))
}

/// Scores every request, `batch` sequences per forward pass, inputs truncated on the
/// left to `max_length` tokens; `on_batch(done, total)` reports progress.
pub fn score(
    resident: &Resident<'_>,
    tokenizer: &Tokenizer,
    requests: &[Request],
    batch: usize,
    max_length: usize,
    on_batch: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Scored>, Error> {
    let mut encoded = Vec::with_capacity(requests.len());
    for r in requests {
        let (context, continuation) = encode_pair(tokenizer, &r.context, &r.continuation)?;
        if continuation.is_empty() {
            return Err(Error::Invalid(format!("continuation {:?} of context {:?} has no tokens", r.continuation, r.context)));
        }
        let mut whole = context;
        whole.extend(&continuation);
        let keep = whole.len().min(max_length + 1);
        let input: Vec<i64> = whole[whole.len() - keep..whole.len() - 1].to_vec();
        let targets = continuation[continuation.len().saturating_sub(keep - 1)..].to_vec();
        encoded.push((input, targets));
    }
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].0.len()));
    let mut results = vec![Scored { loglik: 0.0, greedy: false }; encoded.len()];
    let device = resident.model.device();
    let mut processed = 0;
    for chunk in order.chunks(batch.max(1)) {
        let width = chunk.iter().map(|&i| encoded[i].0.len()).max().unwrap_or(1);
        let mut ids = vec![0i64; chunk.len() * width];
        let mut mask = vec![0i64; chunk.len() * width];
        for (row, &i) in chunk.iter().enumerate() {
            let input = &encoded[i].0;
            ids[row * width..row * width + input.len()].copy_from_slice(input);
            mask[row * width..row * width + input.len()].iter_mut().for_each(|m| *m = 1);
        }
        let shape = [chunk.len() as i64, width as i64];
        let ids = Tensor::from_slice(&ids).view(shape).to_device(device);
        let mask = Tensor::from_slice(&mask).view(shape).to_device(device);
        let hidden = resident.hidden(&ids, Some(&mask));
        for (row, &i) in chunk.iter().enumerate() {
            let (input, targets) = &encoded[i];
            let n = targets.len() as i64;
            let positions = hidden.get(row as i64).narrow(0, input.len() as i64 - n, n); // [n, H]
            let log_probs = resident.model.logits(&positions).to_kind(Kind::Float).log_softmax(-1, Kind::Float); // [n, V]
            let target = Tensor::from_slice(targets).to_device(device);
            let picked = log_probs.gather(1, &target.unsqueeze(1), false).squeeze_dim(1);
            let greedy = log_probs.argmax(-1, false).eq_tensor(&target).all().int64_value(&[]) == 1;
            results[i] = Scored { loglik: picked.sum(Kind::Double).double_value(&[]), greedy };
        }
        processed += chunk.len();
        on_batch(processed, encoded.len());
    }
    Ok(results)
}
