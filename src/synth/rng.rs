//! A small, fast, seedable random number generator (xoshiro256**), so that
//! every note and patient can be regenerated from `(seed, index)` alone.

/// Mixes one 64-bit word (SplitMix64 finaliser).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Deterministic random numbers for one note or patient.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

/// Separate streams for separate purposes, so that adding a draw to one
/// stream never shifts another.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub(crate) enum Stream {
    /// A note's text.
    Note = 1,
    /// A patient's identity.
    Patient = 2,
    /// How many notes a patient has.
    PatientNotes = 3,
    /// A clinician of the shared pool.
    Clinician = 4,
}

impl Rng {
    /// A generator for `(seed, stream, index)`.
    pub(crate) fn for_item(seed: u64, stream: Stream, index: u64) -> Rng {
        let mut x = mix64(seed ^ mix64((stream as u64).wrapping_mul(0x1000_0000_01b3)));
        x = mix64(x ^ mix64(index.wrapping_add(0x5851_f42d_4c95_7f2d)));
        let mut s = [0u64; 4];
        for slot in &mut s {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            *slot = mix64(x);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform number in `0..n` (0 when `n` is 0).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 32).wrapping_mul(n as u64) >> 32) as usize
    }

    /// A uniform number in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
    }

    /// A uniform element of a non-empty slice.
    #[inline]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_item_same_stream() {
        let mut a = Rng::for_item(7, Stream::Note, 3);
        let mut b = Rng::for_item(7, Stream::Note, 3);
        let mut c = Rng::for_item(7, Stream::Note, 4);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::for_item(1, Stream::Patient, 0);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = r.below(7);
            assert!(x < 7);
            seen[x] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
