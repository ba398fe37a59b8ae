//! The compact word/suffix table (`rules/langid/model.bin`), read in place.
//!
//! Format (little-endian), written by `scripts/langid/build_model.py`:
//!
//! ```text
//! magic      8 bytes  "NORLID02"
//! buckets    u32      B, number of displacement buckets
//! slots      u32      M, number of table slots
//! entries    u32      keys stored
//! unit       f32      nats per weight unit (1/16)
//! disp       B × u16  displacement of each bucket
//! table      M × 9    u32 fingerprint (0 = empty), i8 weights
//!                     [nor, swe, dan, eng, nno-vs-nob]
//! ```
//!
//! A key is a lower-cased word, or `~` followed by a word ending (suffix
//! entries, used for words the table does not know). Its 64-bit FNV-1a hash
//! `h` picks a bucket from `fmix64(h)`; the bucket's displacement `d` gives
//! the one slot the key can be in (hash and displace: a perfect hash, so a
//! lookup is one probe and one fingerprint compare, no allocation).

/// Number of weights per entry.
pub const WEIGHTS: usize = 5;
/// Index of the Norwegian weight (step one).
pub const NOR: usize = 0;
/// Index of the Swedish weight (step one).
pub const SWE: usize = 1;
/// Index of the Danish weight (step one).
pub const DAN: usize = 2;
/// Index of the English weight (step one).
pub const ENG: usize = 3;
/// Index of the bokmål-vs-nynorsk weight (positive = nynorsk).
pub const NN: usize = 4;

const MAGIC: &[u8; 8] = b"NORLID02";
const HEADER: usize = 8 + 4 + 4 + 4 + 4;
const SLOT: usize = 9;

/// The model shipped in `rules/langid/model.bin`.
static BUILTIN: &[u8] = include_bytes!("../../rules/langid/model.bin");

/// A model file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("langid model {origin}: {message} (rebuild it with scripts/langid/build_model.sh)")]
pub struct ModelError {
    /// Where the bytes came from.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

/// The word and suffix weights, borrowed from the model bytes.
#[derive(Clone, Copy)]
pub struct Model<'a> {
    disp: &'a [u8],
    table: &'a [u8],
    buckets: u64,
    slots: u64,
    entries: u32,
    unit: f32,
}

impl std::fmt::Debug for Model<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("entries", &self.entries)
            .field("slots", &self.slots)
            .finish()
    }
}

impl Model<'static> {
    /// The model compiled into the binary.
    pub fn builtin() -> Result<Model<'static>, ModelError> {
        Model::parse(BUILTIN, "rules/langid/model.bin (built in)")
    }
}

impl<'a> Model<'a> {
    /// Checks the header and sizes of `bytes` and borrows them.
    pub fn parse(bytes: &'a [u8], origin: &str) -> Result<Model<'a>, ModelError> {
        let err = |message: String| ModelError {
            origin: origin.to_string(),
            message,
        };
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(err("not a NORLID02 model (bad magic)".into()));
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let buckets = u32_at(8) as usize;
        let slots = u32_at(12) as usize;
        let entries = u32_at(16);
        let unit = f32::from_bits(u32_at(20));
        let want = HEADER + buckets * 2 + slots * SLOT;
        if buckets == 0 || slots == 0 || bytes.len() != want {
            return Err(err(format!(
                "size {} does not match header ({buckets} buckets, {slots} slots: {want} bytes)",
                bytes.len()
            )));
        }
        if !(unit > 0.0 && unit < 1.0) {
            return Err(err(format!("weight unit {unit} out of range")));
        }
        let (disp, table) = bytes[HEADER..].split_at(buckets * 2);
        Ok(Model {
            disp,
            table,
            buckets: buckets as u64,
            slots: slots as u64,
            entries,
            unit,
        })
    }

    /// Number of keys (words and suffixes) in the table.
    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// Identifies the table these weights are read from (its address), for
    /// memories of looked-up scores.
    pub(crate) fn id(&self) -> usize {
        self.table.as_ptr() as usize
    }

    /// Nats per weight unit.
    pub fn unit(&self) -> f32 {
        self.unit
    }

    /// The weights stored for the key with FNV-1a hash `h`, if any.
    #[inline]
    pub fn get(&self, h: u64) -> Option<[i8; WEIGHTS]> {
        let x = fmix64(h);
        let b = (((x >> 32) * self.buckets) >> 32) as usize;
        let d = u16::from_le_bytes([self.disp[2 * b], self.disp[2 * b + 1]]) as u32;
        let f1 = x as u32;
        let f2 = (h as u32) | 1;
        let pos = ((f1.wrapping_add(d.wrapping_mul(f2)) as u64 * self.slots) >> 32) as usize;
        let s = &self.table[pos * SLOT..pos * SLOT + SLOT];
        let fp = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        if fp != (((h >> 32) as u32) | 1) {
            return None;
        }
        Some([s[4] as i8, s[5] as i8, s[6] as i8, s[7] as i8, s[8] as i8])
    }

    /// The weights of `key` (lower-case word, or `~` + suffix).
    pub fn lookup(&self, key: &str) -> Option<[i8; WEIGHTS]> {
        self.get(fnv1a(FNV_OFFSET, key.as_bytes()))
    }
}

/// FNV-1a offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Continues a 64-bit FNV-1a hash over `bytes`.
#[inline]
pub fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[inline]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_loads_and_knows_markers() {
        let m = Model::builtin().unwrap();
        assert!(m.entries() > 10_000);
        let ikkje = m.lookup("ikkje").unwrap();
        assert!(ikkje[NN] > 0, "ikkje is nynorsk");
        let ikke = m.lookup("ikke").unwrap();
        assert!(ikke[NN] < 0, "ikke is bokmål");
        let och = m.lookup("och").unwrap();
        assert!(och[1] > och[NOR], "och is Swedish");
        // Clinical words both standards write alike carry no standard,
        // even where only the bokmål word list has them.
        for shared in ["epikrise", "pasienten", "behandling"] {
            let w = m.lookup(shared).unwrap();
            assert!(w[NN].abs() <= 4, "{shared}: {w:?}");
        }
    }

    #[test]
    fn unknown_keys_miss() {
        let m = Model::builtin().unwrap();
        assert!(m.lookup("qqqxzzv").is_none());
        assert!(m.lookup("").is_none());
    }

    #[test]
    fn corrupt_models_are_rejected() {
        assert!(Model::parse(b"nope", "t").is_err());
        let mut bytes = BUILTIN.to_vec();
        bytes.pop();
        let e = Model::parse(&bytes, "t").unwrap_err();
        assert!(e.to_string().contains("size"));
    }

    #[test]
    fn fnv1a_matches_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
