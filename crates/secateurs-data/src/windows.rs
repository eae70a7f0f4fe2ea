//! Fixed-length token windows `[n, T]` with a fingerprint that changes whenever the
//! ids, the source or the shape change — what run records use to tell data apart.

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
    fn too_short_a_stream_names_source_and_counts() {
        let err = Windows::contiguous(&[1, 2, 3], 2, 2, "brown").expect_err("needs 4 tokens");
        assert_eq!(err.to_string(), "source 'brown' has 3 tokens; 2 windows of 2 need 4");
    }
}
