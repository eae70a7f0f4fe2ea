//! Perplexity of a model on token windows: each window `[T]` is an independent
//! sequence (no BOS added, no overlap), `T − 1` tokens predicted per window, windows
//! run in batches; ppl = exp(mean NLL over every predicted token).

use tch::{Kind, Tensor};

use crate::{NllSum, Resident, next_token_nll};

/// The summed next-token NLL of a resident model over windows `ids: [n, T]`, `batch`
/// windows at a time; `on_batch(done, total)` reports progress.
pub fn window_nll(resident: &Resident<'_>, ids: &Tensor, batch: i64, on_batch: &mut dyn FnMut(i64, i64)) -> NllSum {
    let model = resident.model;
    let n = ids.size()[0];
    let batch = batch.max(1);
    let mut total = NllSum::default();
    for start in (0..n).step_by(batch as usize) {
        let rows = batch.min(n - start);
        let chunk = ids.narrow(0, start, rows).to_kind(Kind::Int64).to_device(model.device());
        let logits = model.logits(&resident.hidden(&chunk, None));
        total = total + next_token_nll(&logits, &chunk, None);
        on_batch(start + rows, n);
    }
    total
}
