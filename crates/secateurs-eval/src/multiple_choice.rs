//! Scoring multiple-choice questions as lm-eval does: `acc` — the choice with the
//! highest log-likelihood is the gold one; `acc_norm` — the same after dividing each
//! log-likelihood by its choice's length in characters; each with the standard error
//! of the mean (sample standard deviation / √n).

use serde::Serialize;
use tokenizers::Tokenizer;

use crate::loglik::{Request, score};
use crate::{Error, Question, Resident};

/// A task's scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Accuracy {
    /// Questions scored.
    pub n: usize,
    /// Accuracy.
    pub acc: f64,
    /// Its standard error.
    pub acc_stderr: f64,
    /// Length-normalised accuracy.
    pub acc_norm: f64,
    /// Its standard error.
    pub acc_norm_stderr: f64,
}

/// First index of the maximum (NumPy's `argmax`).
fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Mean and its standard error over 0/1 outcomes.
fn mean_and_stderr(hits: &[bool]) -> (f64, f64) {
    let n = hits.len() as f64;
    let mean = hits.iter().filter(|&&h| h).count() as f64 / n;
    if hits.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = hits.iter().map(|&h| (f64::from(u8::from(h)) - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Accuracy from each question's per-choice log-likelihoods.
pub fn accuracy(questions: &[Question], logliks: &[Vec<f64>]) -> Accuracy {
    let mut hits = Vec::new();
    let mut norm_hits = Vec::new();
    for (q, ll) in questions.iter().zip(logliks) {
        hits.push(argmax(ll.iter().copied()) == q.gold);
        norm_hits.push(argmax(ll.iter().zip(&q.choices).map(|(l, c)| l / c.chars().count() as f64)) == q.gold);
    }
    let (acc, acc_stderr) = mean_and_stderr(&hits);
    let (acc_norm, acc_norm_stderr) = mean_and_stderr(&norm_hits);
    Accuracy { n: questions.len(), acc, acc_stderr, acc_norm, acc_norm_stderr }
}

/// Scores every question's choices with the model (all requests batched together).
pub fn evaluate(
    resident: &Resident<'_>,
    tokenizer: &Tokenizer,
    questions: &[Question],
    batch: usize,
    max_length: usize,
    on_batch: &mut dyn FnMut(usize, usize),
) -> Result<Accuracy, Error> {
    let requests: Vec<Request> = questions.iter().flat_map(|q| q.requests.iter().cloned()).collect();
    let scored = score(resident, tokenizer, &requests, batch, max_length, on_batch)?;
    let mut next = scored.iter();
    let logliks: Vec<Vec<f64>> = questions.iter().map(|q| q.requests.iter().filter_map(|_| next.next().map(|s| s.loglik)).collect()).collect();
    Ok(accuracy(questions, &logliks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(choices: &[&str], gold: usize) -> Question {
        let requests = choices.iter().map(|c| Request { context: "q".into(), continuation: format!(" {c}") }).collect();
        Question { requests, choices: choices.iter().map(|c| (*c).to_owned()).collect(), gold }
    }

    #[test]
    fn acc_and_acc_norm_by_hand() {
        // Q1: raw argmax picks "a" (-1.0), normalised picks "bbbb" (-2.0/4 = -0.5 > -1.0).
        // Q2: both pick index 1.
        let questions = [question(&["a", "bbbb"], 1), question(&["xx", "yy"], 1)];
        let logliks = [vec![-1.0, -2.0], vec![-3.0, -1.0]];
        let r = accuracy(&questions, &logliks);
        assert_eq!((r.n, r.acc, r.acc_norm), (2, 0.5, 1.0));
        // Sample std of [0, 1] is 1/√2; stderr = that / √2 = 0.5.
        assert!((r.acc_stderr - 0.5).abs() < 1e-12);
        assert_eq!(r.acc_norm_stderr, 0.0);
        assert_eq!(argmax([1.0, 3.0, 3.0].into_iter()), 1, "ties go to the first");
    }
}
