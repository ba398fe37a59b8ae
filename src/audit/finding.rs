//! Findings: what a detector saw, where, how bad, and a masked preview.
//! A finding never holds the text it matched, only [`mask`] of it.

use serde::{Deserialize, Serialize};

/// The detector that produced a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Valid-checksum fødselsnummer, D- or H-number outside the synthetic
    /// (Tenor, month + 80) range, or an FH-number.
    NationalId,
    /// Norwegian phone number.
    Phone,
    /// E-mail address.
    Email,
    /// Four-digit postcode followed by a place name.
    Postcode,
    /// A full date the date shifter did not produce.
    Date,
    /// A date that equals the original date at the same place.
    DateUnshifted,
    /// A gazetteer name in person-like context (title, relation).
    PersonName,
    /// A registered identifier found in the output.
    Register,
    /// A registered name that is also a common word, found in lower case.
    RegisterCommonWord,
}

impl Detector {
    /// Every detector, in report order.
    pub const ALL: [Detector; 9] = [
        Detector::NationalId,
        Detector::Register,
        Detector::DateUnshifted,
        Detector::PersonName,
        Detector::Phone,
        Detector::Email,
        Detector::Postcode,
        Detector::Date,
        Detector::RegisterCommonWord,
    ];

    /// The snake_case name used in reports and configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::NationalId => "national_id",
            Detector::Phone => "phone",
            Detector::Email => "email",
            Detector::Postcode => "postcode",
            Detector::Date => "date",
            Detector::DateUnshifted => "date_unshifted",
            Detector::PersonName => "person_name",
            Detector::Register => "register",
            Detector::RegisterCommonWord => "register_common_word",
        }
    }

    /// Whether a match of this detector that lies wholly inside deid
    /// surrogates is just the surrogate (not a finding). Never for national
    /// ids (a surrogate must be synthetic) or the register (a collision is
    /// reported for review).
    pub fn can_be_surrogate(self) -> bool {
        !matches!(
            self,
            Detector::NationalId
                | Detector::Register
                | Detector::RegisterCommonWord
                | Detector::DateUnshifted
        )
    }
}

/// How bad a finding is. Which severities block the release is configured
/// in [`super::BlockerConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A real identifier almost certainly left in the output.
    Critical,
    /// Very likely an identifier.
    High,
    /// Possibly an identifier.
    Medium,
    /// Worth a look.
    Low,
}

impl Severity {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// One residual identifier in the output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Note id as released (the pseudonym).
    pub note_id: String,
    /// Start, Unicode characters into the released text.
    pub start: usize,
    /// End (exclusive), Unicode characters.
    pub end: usize,
    /// Which detector.
    pub detector: Detector,
    /// How bad.
    pub severity: Severity,
    /// Masked preview (`1*********2`, `K***`), never the matched text.
    pub preview: String,
    /// What more the detector knows (`register:last_name`, `d_number`,
    /// `context:dr`), never identifying.
    pub detail: String,
    /// Whether the configured blocker rules make it a release blocker.
    pub blocker: bool,
}

/// A finding while a note is scanned: byte offsets into the released text.
#[derive(Clone, Debug, PartialEq)]
pub struct RawFinding {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Which detector.
    pub detector: Detector,
    /// How bad.
    pub severity: Severity,
    /// Non-identifying detail.
    pub detail: String,
}

/// Masks an identifier for display: keeps its first character (and the last
/// one of strings with more than five digits-or-letters), every other
/// letter or digit becomes `*`; `13055801432` → `1*********2`, `Kari` →
/// `K***`. Never returns a string equal to a (non-trivial) input.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !is_invisible(*c)).collect();
    let alnum = chars.iter().filter(|c| c.is_alphanumeric()).count();
    let keep_last = alnum > 5;
    let mut seen = 0usize;
    let mut out = String::with_capacity(chars.len());
    for c in chars {
        if c.is_alphanumeric() {
            seen += 1;
            if seen == 1 || (keep_last && seen == alnum) {
                out.push(c);
            } else {
                out.push('*');
            }
        } else if c.is_whitespace() {
            out.push(' ');
        } else {
            out.push('*');
        }
    }
    out
}

/// Characters that render as nothing and hide inside identifiers (zero-width
/// space, joiners, word joiner, BOM, soft hyphen).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_first_and_last_character() {
        assert_eq!(mask("13055801432"), "1*********2");
        assert_eq!(mask("130558 01432"), "1***** ****2");
        assert_eq!(mask("Kari"), "K***");
        assert_eq!(mask("Hansens"), "H*****s");
        assert_eq!(mask("kari@x.no"), "k*******o");
        assert_eq!(mask("1305\u{200B}5801432"), "1*********2");
    }
}
