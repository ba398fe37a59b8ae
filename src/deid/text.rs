//! Text helpers with byte offsets that stay faithful to the original
//! string: case folding that keeps every byte offset, word tokens, the case
//! style of a note, and byte ↔ character offset conversion.

/// Lower-cases `text` character by character where the lower-case form has
/// the same UTF-8 length (true for Norwegian letters), so byte offsets into
/// the result are byte offsets into `text`.
pub fn fold_case(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => out.push(c),
        }
    }
    out
}

/// How a word is capitalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// `Hansen`.
    Title,
    /// `HANSEN` (two or more letters, all upper case).
    Upper,
    /// `hansen`.
    Lower,
    /// Starts with a digit or is mixed otherwise (`iPhone`).
    Other,
}

/// The case of a word.
pub fn case_of(w: &str) -> Case {
    let mut chars = w.chars().filter(|c| c.is_alphabetic());
    let Some(first) = chars.next() else {
        return Case::Other;
    };
    if first.is_lowercase() {
        return Case::Lower;
    }
    if !first.is_uppercase() {
        return Case::Other;
    }
    let mut n = 1;
    let mut all_upper = true;
    for c in chars {
        n += 1;
        if c.is_lowercase() {
            all_upper = false;
        }
    }
    if n >= 2 && all_upper {
        Case::Upper
    } else {
        Case::Title
    }
}

/// The case style of a whole note, which decides how much capitalisation
/// can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseMode {
    /// Ordinary text: names are capitalised.
    Normal,
    /// (Nearly) all upper case: capitalisation tells nothing.
    AllCaps,
    /// (Nearly) all lower case: capitalisation tells nothing.
    AllLower,
}

impl CaseMode {
    /// Classifies a note by the share of upper-case letters.
    pub fn of(text: &str) -> CaseMode {
        let (mut upper, mut letters) = (0usize, 0usize);
        for c in text.chars() {
            if c.is_alphabetic() {
                letters += 1;
                if c.is_uppercase() {
                    upper += 1;
                }
            }
        }
        if letters < 20 {
            return CaseMode::Normal;
        }
        let share = upper as f64 / letters as f64;
        if share > 0.8 {
            CaseMode::AllCaps
        } else if share < 0.005 {
            CaseMode::AllLower
        } else {
            CaseMode::Normal
        }
    }
}

/// What separates a word from the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Start of the text.
    Start,
    /// Spaces or tabs only.
    Space,
    /// A hyphen (`Anne-Lise`).
    Hyphen,
    /// A comma (`Hansen, Kari`).
    Comma,
    /// A sentence end or line break: the word starts a sentence.
    Sentence,
    /// Anything else (brackets, colons, dots of initials …).
    Other,
}

/// A word: a maximal run of letters and digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// Start byte.
    pub start: usize,
    /// End byte.
    pub end: usize,
    /// Capitalisation.
    pub case: Case,
    /// What comes before it.
    pub gap: Gap,
    /// Whether a `.` directly follows (initials, abbreviations).
    pub dot_after: bool,
    /// Whether the word is all digits.
    pub numeric: bool,
}

/// Splits `text` into words.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::with_capacity(text.len() / 6);
    let bytes = text.as_bytes();
    let mut gap_start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let start = i;
        let mut end = i + c.len_utf8();
        let mut numeric = c.is_ascii_digit();
        while let Some(&(j, d)) = iter.peek() {
            if d.is_alphanumeric() {
                numeric &= d.is_ascii_digit();
                end = j + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let between = &text[gap_start..start];
        let gap = if start == 0 {
            Gap::Start
        } else if between == " " {
            Gap::Space
        } else if between == "-" {
            Gap::Hyphen
        } else if between.contains('\n')
            || between.contains(['!', '?'])
            || between.trim_end().ends_with(['.', ':'])
        {
            Gap::Sentence
        } else if between.trim() == "," {
            Gap::Comma
        } else {
            Gap::Other
        };
        let w = &text[start..end];
        out.push(Word {
            start,
            end,
            case: case_of(w),
            gap,
            dot_after: bytes.get(end) == Some(&b'.'),
            numeric,
        });
        gap_start = end;
    }
    out
}

/// Whether `c` is an invisible formatting character that can sit inside an
/// identifier without changing how it reads: zero-width space (U+200B),
/// non-joiner (U+200C), joiner (U+200D), word joiner (U+2060), the
/// invisible operators (U+2061–U+2064), the byte-order mark / zero-width
/// no-break space (U+FEFF), the Mongolian vowel separator (U+180E) and the
/// soft hyphen (U+00AD).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// A note with its invisible characters ([`is_invisible`]) removed, and the
/// way back: detection runs on [`VisibleText::text`] and
/// [`VisibleText::span_in_original`] turns its byte spans into byte spans
/// of the original text. `1305\u{200B}58 01432` is seen as `130558 01432`.
#[derive(Clone, Debug)]
pub struct VisibleText {
    /// The text without invisible characters.
    pub text: String,
    /// For every byte of `text`, its byte offset in the original.
    orig: Vec<usize>,
    /// Length of the original text.
    orig_len: usize,
}

impl VisibleText {
    /// The visible view of `text`, or `None` when it has no invisible
    /// character (the common case, which costs one scan).
    pub fn of(text: &str) -> Option<VisibleText> {
        if !text.chars().any(is_invisible) {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut orig = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            if is_invisible(c) {
                continue;
            }
            out.push(c);
            orig.extend(i..i + c.len_utf8());
        }
        Some(VisibleText {
            text: out,
            orig,
            orig_len: text.len(),
        })
    }

    /// The half-open byte span of the original text that covers the
    /// visible span `start..end`: invisible characters inside it are
    /// included, those just before or after it are not. Spans stay on
    /// character boundaries of the original.
    pub fn span_in_original(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.orig.get(start).copied().unwrap_or(self.orig_len);
        if end <= start {
            return (s, s);
        }
        // The last byte of the span's last character lies directly before
        // the original end of that character.
        let e = self.orig.get(end - 1).map_or(self.orig_len, |&b| b + 1);
        (s, e.max(s))
    }
}

/// `text` without invisible characters ([`is_invisible`]), borrowed when
/// it has none.
pub fn strip_invisible(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_invisible) {
        std::borrow::Cow::Owned(text.chars().filter(|&c| !is_invisible(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Converts byte offsets to character offsets for many sorted positions.
pub struct CharIndex<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharIndex<'a> {
    /// Starts at the beginning of `text`.
    pub fn new(text: &'a str) -> Self {
        CharIndex {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// The character offset of byte offset `b` (must not go backwards
    /// for speed; it restarts if it does).
    pub fn at(&mut self, b: usize) -> usize {
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        let s = &self.text.as_bytes()[self.byte..b];
        self.chars += s.iter().filter(|&&x| (x & 0xC0) != 0x80).count();
        self.byte = b;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_offsets() {
        let t = "ØSTBY Åse ÆRE İx";
        let f = fold_case(t);
        assert_eq!(f.len(), t.len());
        assert!(f.starts_with("østby åse ære"));
    }

    #[test]
    fn words_know_their_gaps_and_case() {
        let t = "Dr. Kari-Anne HANSEN, Oslo.\nNy linje";
        let w = words(t);
        let s: Vec<&str> = w.iter().map(|w| &t[w.start..w.end]).collect();
        assert_eq!(s, ["Dr", "Kari", "Anne", "HANSEN", "Oslo", "Ny", "linje"]);
        assert!(w[0].dot_after);
        assert_eq!(w[1].gap, Gap::Sentence);
        assert_eq!(w[2].gap, Gap::Hyphen);
        assert_eq!(w[3].case, Case::Upper);
        assert_eq!(w[4].gap, Gap::Comma);
        assert_eq!(w[5].gap, Gap::Sentence);
        assert_eq!(w[6].case, Case::Lower);
    }

    #[test]
    fn char_offsets() {
        let t = "ææ a ø";
        let mut ix = CharIndex::new(t);
        assert_eq!(ix.at(4), 2);
        assert_eq!(ix.at(t.len()), 6);
        assert_eq!(ix.at(0), 0);
    }

    #[test]
    fn case_modes() {
        assert_eq!(
            CaseMode::of("PASIENTEN ER EN 82 ÅR GAMMEL MANN FRA OSLO"),
            CaseMode::AllCaps
        );
        assert_eq!(
            CaseMode::of("pasienten er en 82 år gammel mann fra oslo"),
            CaseMode::AllLower
        );
        assert_eq!(
            CaseMode::of("Pasienten er en 82 år gammel mann fra Oslo"),
            CaseMode::Normal
        );
    }

    #[test]
    fn visible_view_maps_spans_back_to_the_original() {
        let t = "fnr \u{200B}1305\u{200B}58 0\u{00AD}1432\u{FEFF}. Å";
        let v = VisibleText::of(t).unwrap();
        assert_eq!(v.text, "fnr 130558 01432. Å");
        let start = v.text.find('1').unwrap();
        let end = v.text.find('.').unwrap();
        let (s, e) = v.span_in_original(start, end);
        assert_eq!(&t[s..e], "1305\u{200B}58 0\u{00AD}1432");
        let a = v.text.find('Å').unwrap();
        let (s, e) = v.span_in_original(a, a + 'Å'.len_utf8());
        assert_eq!(&t[s..e], "Å");
        assert_eq!(v.span_in_original(0, 0), (0, 0));
        assert!(VisibleText::of("ingen usynlige tegn").is_none());
        assert_eq!(strip_invisible("a\u{2060}b\u{200C}c\u{200D}"), "abc");
    }
}
