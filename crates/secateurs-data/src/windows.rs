//! Fixed-length token windows `[n, T]` with a fingerprint that changes whenever the
//! ids, the source or the shape change — what run records use to tell data apart.

use secateurs_model::SplitMix64;
use sha2::{Digest, Sha256};

use crate::Error;

/// `n` windows of `seqlen` token ids, stored row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    ids: Vec<i64>,
    seqlen: usize,
    fingerprint: String,
}

impl Windows {
    /// The first `count` non-overlapping windows of `seqlen` tokens of a stream.
    pub fn contiguous(stream: &[u32], seqlen: usize, count: usize, source_name: &str) -> Result<Self, Error> {
        if seqlen == 0 {
            return Err(Error::ZeroLength(seqlen));
        }
        let needed = seqlen * count;
        if stream.len() < needed {
            return Err(Error::TooShort {
                source_name: source_name.to_owned(),
                available: stream.len(),
                count,
                seqlen,
                needed,
            });
        }
        let ids: Vec<i64> = stream[..needed].iter().map(|&id| i64::from(id)).collect();
        let fingerprint = fingerprint(&ids, seqlen, &format!("contiguous:{source_name}"));
        Ok(Self { ids, seqlen, fingerprint })
    }

    /// `count` windows sampled as SparseGPT and Wanda sample C4 (PAPER.md §5): pick a
    /// document uniformly at random, redraw until one is longer than `seqlen` tokens,
    /// then take `seqlen` tokens at a uniformly random offset — from a SplitMix64
    /// stream seeded with `seed`, so the same seed gives the same windows.
    pub fn sampled(documents: &[Vec<u32>], seqlen: usize, count: usize, seed: u64, source_name: &str) -> Result<Self, Error> {
        if seqlen == 0 {
            return Err(Error::ZeroLength(seqlen));
        }
        if !documents.iter().any(|doc| doc.len() > seqlen) {
            let longest = documents.iter().map(Vec::len).max().unwrap_or(0);
            return Err(Error::NoLongDocument { source_name: source_name.to_owned(), seqlen, longest });
        }
        let mut rng = SplitMix64::new(seed);
        let mut ids = Vec::with_capacity(seqlen * count);
        while ids.len() < seqlen * count {
            let doc = &documents[rng.below(documents.len() as u64) as usize];
            if doc.len() <= seqlen {
                continue;
            }
            let offset = rng.below((doc.len() - seqlen) as u64) as usize;
            ids.extend(doc[offset..offset + seqlen].iter().map(|&id| i64::from(id)));
        }
        let fingerprint = fingerprint(&ids, seqlen, &format!("sampled:{source_name}:seed={seed}"));
        Ok(Self { ids, seqlen, fingerprint })
    }

    /// One window from each document longer than `seqlen`, in order, at a random
    /// offset (seeded), until `count` — how self-generated texts become calibration
    /// windows (PAPER.md §4).
    pub fn cropped(documents: &[Vec<u32>], seqlen: usize, count: usize, seed: u64, source_name: &str) -> Result<Self, Error> {
        if seqlen == 0 {
            return Err(Error::ZeroLength(seqlen));
        }
        let mut rng = SplitMix64::new(seed);
        let mut ids = Vec::with_capacity(seqlen * count);
        for doc in documents.iter().filter(|d| d.len() > seqlen).take(count) {
            let offset = rng.below((doc.len() - seqlen) as u64) as usize;
            ids.extend(doc[offset..offset + seqlen].iter().map(|&id| i64::from(id)));
        }
        if ids.len() < seqlen * count {
            let long = documents.iter().filter(|d| d.len() > seqlen).count();
            return Err(Error::TooFewLongDocuments { source_name: source_name.to_owned(), seqlen, count, long });
        }
        let fingerprint = fingerprint(&ids, seqlen, &format!("cropped:{source_name}:seed={seed}"));
        Ok(Self { ids, seqlen, fingerprint })
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.ids.len() / self.seqlen
    }

    /// Whether there is no window.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Tokens per window.
    pub fn seqlen(&self) -> usize {
        self.seqlen
    }

    /// Window `i`'s ids.
    pub fn window(&self, i: usize) -> &[i64] {
        &self.ids[i * self.seqlen..(i + 1) * self.seqlen]
    }

    /// All ids, row-major `[n, T]`.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// Hex sha256 (16 digits) of how the windows were made and of their ids.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// How many leading documents (tokenised alone) a contiguous stream of `needed`
/// tokens can draw from, plus one for tokens that merge across a document boundary:
/// excluding them from calibration sampling keeps calibration windows disjoint from
/// held-out windows taken from the start of the same source.
pub fn leading_documents(documents: &[Vec<u32>], needed: usize) -> usize {
    let mut total = 0;
    for (i, doc) in documents.iter().enumerate() {
        total += doc.len();
        if total >= needed {
            return (i + 2).min(documents.len());
        }
    }
    documents.len()
}

fn fingerprint(ids: &[i64], seqlen: usize, provenance: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(provenance.as_bytes());
    hasher.update((seqlen as u64).to_le_bytes());
    for id in ids {
        hasher.update(id.to_le_bytes());
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_tile_the_start_of_the_stream() {
        let stream: Vec<u32> = (10..20).collect();
        let w = Windows::contiguous(&stream, 4, 2, "toy").expect("long enough");
        assert_eq!((w.len(), w.seqlen()), (2, 4));
        assert_eq!(w.window(0), &[10, 11, 12, 13]);
        assert_eq!(w.window(1), &[14, 15, 16, 17]);
    }

    #[test]
    fn fingerprint_tracks_ids_source_and_shape() {
        let stream: Vec<u32> = (0..12).collect();
        let a = Windows::contiguous(&stream, 4, 2, "toy").expect("long enough");
        assert_eq!(a.fingerprint(), Windows::contiguous(&stream, 4, 2, "toy").expect("same").fingerprint());
        assert_ne!(a.fingerprint(), Windows::contiguous(&stream, 4, 2, "other").expect("ok").fingerprint());
        assert_ne!(a.fingerprint(), Windows::contiguous(&stream, 2, 4, "toy").expect("ok").fingerprint());
        let shifted: Vec<u32> = (1..13).collect();
        assert_ne!(a.fingerprint(), Windows::contiguous(&shifted, 4, 2, "toy").expect("ok").fingerprint());
    }

    #[test]
    fn sampling_is_reproducible_and_skips_short_documents() {
        let docs: Vec<Vec<u32>> = vec![(0..3).collect(), (100..120).collect(), (200..230).collect()];
        let a = Windows::sampled(&docs, 5, 6, 0, "toy").expect("long documents exist");
        assert_eq!(a, Windows::sampled(&docs, 5, 6, 0, "toy").expect("same seed"));
        let b = Windows::sampled(&docs, 5, 6, 1, "toy").expect("other seed");
        assert_ne!(a.ids(), b.ids());
        assert_ne!(a.fingerprint(), b.fingerprint());
        for i in 0..a.len() {
            let w = a.window(i);
            assert!(w[0] >= 100, "never from the 3-token document: {w:?}");
            assert!(w.windows(2).all(|p| p[1] == p[0] + 1), "contiguous slice of one document: {w:?}");
        }
        let err = Windows::sampled(&docs, 30, 1, 0, "toy").expect_err("no document longer than 30");
        assert_eq!(err.to_string(), "source 'toy' has no document longer than 30 tokens (longest: 30)");
    }

    #[test]
    fn cropping_takes_one_window_per_long_document() {
        let docs: Vec<Vec<u32>> = vec![(0..3).collect(), (100..120).collect(), (200..230).collect()];
        let w = Windows::cropped(&docs, 5, 2, 0, "gen").expect("two long documents");
        assert!(w.window(0)[0] >= 100 && w.window(0)[0] < 116 && w.window(1)[0] >= 200);
        let err = Windows::cropped(&docs, 5, 3, 0, "gen").expect_err("only two");
        assert_eq!(err.to_string(), "source 'gen' has 2 documents longer than 5 tokens; 3 windows need one each");
    }

    #[test]
    fn held_out_documents_are_counted_with_a_margin() {
        let docs: Vec<Vec<u32>> = vec![vec![0; 10], vec![0; 10], vec![0; 10], vec![0; 10]];
        assert_eq!(leading_documents(&docs, 15), 3, "two documents hold 15 tokens, plus one");
        assert_eq!(leading_documents(&docs, 40), 4);
        assert_eq!(leading_documents(&docs, 1000), 4);
    }

    #[test]
    fn too_short_a_stream_names_source_and_counts() {
        let err = Windows::contiguous(&[1, 2, 3], 2, 2, "brown").expect_err("needs 4 tokens");
        assert_eq!(err.to_string(), "source 'brown' has 3 tokens; 2 windows of 2 need 4");
    }
}
