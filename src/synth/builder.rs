//! [`NoteBuilder`]: appends text while recording gold PHI spans and hard
//! negatives at Unicode character offsets.

use serde::Serialize;

pub use crate::phi::Label;

/// A gold PHI span: half-open Unicode character offsets into the note text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// What it is.
    pub label: Label,
}

/// A hard negative: text that looks like PHI but is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Negative {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// What it is (`eponym`, `lab_abbreviation`, `name_word`, `dosage_schedule`, …).
    pub kind: &'static str,
}

/// How text is cased as it is appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// As written.
    Keep,
    /// Everything lower-case.
    Lower,
    /// Everything upper-case.
    Upper,
}

/// Changes case one character at a time, keeping characters whose case
/// mapping is not a single character (so character offsets never move).
fn push_cased(out: &mut String, s: &str, case: Case) {
    match case {
        Case::Keep => out.push_str(s),
        _ if s.is_ascii() => {
            for b in s.bytes() {
                out.push(char::from(if case == Case::Lower {
                    b.to_ascii_lowercase()
                } else {
                    b.to_ascii_uppercase()
                }));
            }
        }
        _ => {
            for c in s.chars() {
                let mut m = [c; 2];
                let mut n = 0;
                if case == Case::Lower {
                    for x in c.to_lowercase() {
                        if n < 2 {
                            m[n] = x;
                        }
                        n += 1;
                    }
                } else {
                    for x in c.to_uppercase() {
                        if n < 2 {
                            m[n] = x;
                        }
                        n += 1;
                    }
                }
                out.push(if n == 1 { m[0] } else { c });
            }
        }
    }
}

/// Character count of `s` (fast path for ASCII).
#[inline]
pub(crate) fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// A note under construction.
#[derive(Debug, Default)]
pub struct NoteBuilder {
    /// The text so far.
    pub text: String,
    /// Characters in `text`.
    pub chars: usize,
    /// Gold spans, in order.
    pub spans: Vec<Span>,
    /// Hard negatives, in order.
    pub negatives: Vec<Negative>,
    case: Option<Case>,
}

impl NoteBuilder {
    /// Sets the case of the section being written (`None`: as written).
    pub fn set_case(&mut self, case: Option<Case>) {
        self.case = case;
    }

    /// The case forced on the section being written, if any.
    pub fn case(&self) -> Option<Case> {
        self.case
    }

    /// Appends plain text.
    #[inline]
    pub fn push(&mut self, s: &str) {
        self.push_with(s, Case::Keep);
    }

    /// Appends plain text with `case` (unless the section forces another).
    #[inline]
    pub fn push_with(&mut self, s: &str, case: Case) {
        push_cased(&mut self.text, s, self.case.unwrap_or(case));
        self.chars += char_len(s);
    }

    /// Appends `s` as a PHI span of `label`.
    #[inline]
    pub fn phi(&mut self, label: Label, s: &str) {
        self.phi_with(label, s, Case::Keep);
    }

    /// Appends `s` as a PHI span of `label`, cased.
    pub fn phi_with(&mut self, label: Label, s: &str, case: Case) {
        let start = self.chars;
        self.push_with(s, case);
        if self.chars > start {
            self.spans.push(Span {
                start,
                end: self.chars,
                label,
            });
        }
    }

    /// Appends `s` as a hard negative of `kind`.
    pub fn negative(&mut self, kind: &'static str, s: &str) {
        let start = self.chars;
        self.push(s);
        if self.chars > start {
            self.negatives.push(Negative {
                start,
                end: self.chars,
                kind,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_character_offsets() {
        let mut b = NoteBuilder::default();
        b.push("Pasienten Øyvind ");
        b.phi(Label::PersonLast, "Ødegård");
        let s = b.spans[0];
        let got: String = b.text.chars().skip(s.start).take(s.end - s.start).collect();
        assert_eq!(got, "Ødegård");
        assert_eq!(s.start, 17);
    }

    #[test]
    fn case_changes_keep_offsets() {
        let mut b = NoteBuilder::default();
        b.set_case(Some(Case::Upper));
        b.push("straße ");
        b.phi(Label::Location, "tromsø");
        assert_eq!(b.text, "STRAßE TROMSØ");
        assert_eq!(b.chars, b.text.chars().count());
    }
}
