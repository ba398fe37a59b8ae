//! Where the deid spans (character offsets into the ORIGINAL text) landed in
//! the released text: walks the spans in order, skipping the unchanged
//! text between them, and checks that the released text carries each
//! surrogate where expected. Gives the surrogate segments (for
//! highlighting, for excluding surrogates from findings and rare tokens)
//! and maps released positions back to original ones.

use super::input::Span;

/// A replacement in the released text.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Start byte in the released text.
    pub out_start: usize,
    /// End byte in the released text.
    pub out_end: usize,
    /// Start character in the original text.
    pub orig_start: usize,
    /// End character in the original text.
    pub orig_end: usize,
    /// PHI label.
    pub label: String,
}

/// The segments of one note.
#[derive(Clone, Debug)]
pub struct Alignment {
    /// Replacements, in order.
    pub segments: Vec<Segment>,
    /// Whether every replacing span was found where expected.
    pub complete: bool,
    /// Released bytes before this position map back reliably.
    pub verified_until: usize,
}

/// Aligns `spans` (sorted by start) with the released `text`.
pub fn align(text: &str, spans: &[Span]) -> Alignment {
    let mut segs = Vec::new();
    let mut orig_pos = 0usize; // characters of the original consumed
    let mut out_pos = 0usize; // bytes of the released text consumed
    for s in spans {
        if s.action == "keep" || s.start < orig_pos || s.end < s.start {
            continue;
        }
        let Some(sur) = s.surrogate.as_deref() else {
            return Alignment {
                segments: segs,
                complete: false,
                verified_until: out_pos,
            };
        };
        // Unchanged text between the previous replacement and this one.
        let Some(start) = advance_chars(text, out_pos, s.start - orig_pos) else {
            return Alignment {
                segments: segs,
                complete: false,
                verified_until: out_pos,
            };
        };
        if !text[start..].starts_with(sur) {
            return Alignment {
                segments: segs,
                complete: false,
                verified_until: out_pos,
            };
        }
        let end = start + sur.len();
        segs.push(Segment {
            out_start: start,
            out_end: end,
            orig_start: s.start,
            orig_end: s.end,
            label: s.label.clone(),
        });
        orig_pos = s.end;
        out_pos = end;
    }
    Alignment {
        segments: segs,
        complete: true,
        verified_until: text.len(),
    }
}

fn advance_chars(text: &str, from: usize, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(from);
    }
    text.get(from..)?
        .char_indices()
        .nth(n)
        .map(|(i, _)| from + i)
        .or_else(|| (text[from..].chars().count() == n).then_some(text.len()))
}

impl Alignment {
    /// The segment containing (overlapping) released bytes `[s, e)`.
    pub fn covering(&self, s: usize, e: usize) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|g| s < g.out_end && g.out_start < e)
    }

    /// The segment holding released bytes `[s, e)` when every letter and
    /// digit of them lies inside surrogates (`Ingrid Lunde` over two
    /// segments counts; `5003 Bergen` with only `5003` replaced does not).
    pub fn inside(&self, text: &str, s: usize, e: usize) -> Option<&Segment> {
        let first = self.covering(s, e)?;
        let all = text.get(s..e)?.char_indices().all(|(i, c)| {
            let b = s + i;
            !c.is_alphanumeric()
                || self
                    .segments
                    .iter()
                    .any(|g| g.out_start <= b && b < g.out_end)
        });
        all.then_some(first)
    }

    /// The original character position of released byte `b` (outside any
    /// segment), when the alignment reaches that far.
    pub fn to_original(&self, text: &str, b: usize) -> Option<usize> {
        let mut out_anchor = 0usize;
        let mut orig_anchor = 0usize;
        for g in &self.segments {
            if g.out_start > b {
                break;
            }
            if b < g.out_end {
                return None;
            }
            out_anchor = g.out_end;
            orig_anchor = g.orig_end;
        }
        if b > self.verified_until {
            return None;
        }
        Some(orig_anchor + text.get(out_anchor..b)?.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, label: &str, sur: &str) -> Span {
        Span {
            start,
            end,
            label: label.into(),
            action: "surrogate".into(),
            surrogate: Some(sur.into()),
        }
    }

    #[test]
    fn segments_land_where_the_surrogates_are() {
        // original: "Kåre Ås kom 12.03.2021 til Øya."
        let released = "Per Lunde kom 20.04.2021 til Øya.";
        let spans = vec![
            span(0, 4, "PERSON_FIRST", "Per"),
            span(5, 7, "PERSON_LAST", "Lunde"),
            span(12, 22, "DATE", "20.04.2021"),
        ];
        let a = align(released, &spans);
        assert!(a.complete);
        let got: Vec<&str> = a
            .segments
            .iter()
            .map(|g| &released[g.out_start..g.out_end])
            .collect();
        assert_eq!(got, vec!["Per", "Lunde", "20.04.2021"]);
        let til = released.find("til").unwrap();
        assert_eq!(a.to_original(released, til), Some(23));
        assert_eq!(a.to_original(released, 1), None);
        assert!(a.inside(released, 0, 9).is_some(), "Per Lunde");
        assert!(a.inside(released, 0, 13).is_none(), "Per Lunde kom");
    }

    #[test]
    fn a_surrogate_not_found_stops_the_alignment() {
        let released = "Per kom.";
        let a = align(released, &[span(0, 4, "PERSON_FIRST", "Ola")]);
        assert!(!a.complete);
        assert!(a.segments.is_empty());
    }
}
