//! JSON lines rendered by hand on the worker threads: the same bytes
//! `serde_json` writes (tests hold them to it), without its per-field
//! overhead.

use serde_json::ser::{CompactFormatter, Formatter};

/// One JSON object written field by field into a byte buffer.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    /// Starts a field; `key` is a plain field name (nothing to escape).
    fn key(&mut self, key: &str) {
        self.out
            .extend_from_slice(if self.first { b"\"" } else { b",\"" });
        self.first = false;
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// A string field.
    pub(crate) fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        json_str(self.out, value);
        self
    }

    /// A string field that may be `null`.
    pub(crate) fn opt(mut self, key: &str, value: Option<&str>) -> Self {
        self.key(key);
        match value {
            Some(v) => json_str(self.out, v),
            None => self.out.extend_from_slice(b"null"),
        }
        self
    }

    /// An unsigned integer field.
    pub(crate) fn num(mut self, key: &str, n: u64) -> Self {
        self.key(key);
        // Writing into a Vec cannot fail.
        let _ = CompactFormatter.write_u64(self.out, n);
        self
    }

    /// A float field, in `serde_json`'s shortest form (`null` when not
    /// finite, as `serde_json` writes it).
    pub(crate) fn float(mut self, key: &str, x: f32) -> Self {
        self.key(key);
        if x.is_finite() {
            // Writing into a Vec cannot fail.
            let _ = CompactFormatter.write_f32(self.out, x);
        } else {
            self.out.extend_from_slice(b"null");
        }
        self
    }

    /// An array field: `each` writes one element (an object opened on the
    /// buffer it is given) per item.
    pub(crate) fn array<T>(
        mut self,
        key: &str,
        items: &[T],
        mut each: impl FnMut(&mut Vec<u8>, &T),
    ) -> Self {
        self.key(key);
        self.out.push(b'[');
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                self.out.push(b',');
            }
            each(self.out, item);
        }
        self.out.push(b']');
        self
    }

    /// Closes the object.
    pub(crate) fn close(self) {
        self.out.push(b'}');
    }

    /// Closes the object and ends the line.
    pub(crate) fn close_line(self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut done = 0;
    let mut i = 0;
    while i < b.len() {
        // Eight bytes at a time while none needs escaping (most text).
        if let Some(chunk) = b.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(w)) {
                i += 8;
                continue;
            }
        }
        let esc = ESCAPE[usize::from(b[i])];
        if esc == 0 {
            i += 1;
            continue;
        }
        out.extend_from_slice(&b[done..i]);
        if esc == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b[i] >> 4)]);
            out.push(HEX[usize::from(b[i] & 15)]);
        } else {
            out.push(b'\\');
            out.push(esc);
        }
        i += 1;
        done = i;
    }
    out.extend_from_slice(&b[done..]);
    out.push(b'"');
}

/// Whether one of the eight bytes of `w` is a control character, `"` or
/// `\\` (bit tricks: a byte below 0x20, or equal to 0x22 or 0x5C).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    below(0x20) | zero(w ^ (ONES * 0x22)) | zero(w ^ (ONES * 0x5C)) != 0
}

/// Per byte: 0 when it stands as it is in a JSON string, else the letter
/// after the backslash (`u` for `\u00XX`), as `serde_json` writes it.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = b'u';
        c += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ASCII character, at every position of an eight-byte chunk,
    /// escapes as `serde_json` escapes it.
    #[test]
    fn json_strings_escape_like_serde_json() {
        for c in (0u8..0x80)
            .map(char::from)
            .chain(['æ', 'Ø', '\u{2028}', '😀'])
        {
            for pad in 0..17 {
                let s = format!("{}{c}{}", "a".repeat(pad), "b".repeat(17 - pad));
                let mut got = Vec::new();
                json_str(&mut got, &s);
                assert_eq!(got, serde_json::to_vec(&s).unwrap(), "{:?} at {pad}", c);
            }
        }
    }

    /// Floats and arrays come out as `serde_json` writes them.
    #[test]
    fn floats_and_arrays_match_serde_json() {
        #[derive(serde::Serialize)]
        struct N {
            n: u64,
        }
        #[derive(serde::Serialize)]
        struct R {
            x: f32,
            a: Vec<N>,
        }
        for x in [
            0.0f32,
            1.0,
            0.5,
            0.9876,
            1e-7,
            123456.78,
            f32::NAN,
            f32::INFINITY,
        ] {
            let mut got = Vec::new();
            JsonObject::open(&mut got)
                .float("x", x)
                .array("a", &[1u64, 2], |out, n| {
                    JsonObject::open(out).num("n", *n).close()
                })
                .close();
            let want = R {
                x,
                a: vec![N { n: 1 }, N { n: 2 }],
            };
            assert_eq!(got, serde_json::to_vec(&want).unwrap(), "{x}");
        }
    }
}
