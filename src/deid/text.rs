//! Text helpers with byte offsets that stay faithful to the original
//! string: case folding that keeps every byte offset, word tokens, the case
//! style of a note, and byte ↔ character offset conversion.

/// Lower-cases `text` character by character where the lower-case form has
/// the same UTF-8 length (true for Norwegian letters), so byte offsets into
/// the result are byte offsets into `text`.
pub fn fold_case(text: &str) -> String {
    let mut out = text.to_ascii_lowercase();
    if text.is_ascii() {
        return out;
    }
    // Only characters outside ASCII are left to fold.
    let mut fixed = String::with_capacity(out.len());
    let mut copied = 0;
    let bytes = out.as_bytes();
    let non_ascii = (0..bytes.len()).filter(|&i| bytes[i] >= 0xC0);
    for (i, c) in non_ascii.filter_map(|i| Some((i, out.get(i..)?.chars().next()?))) {
        let l = fold_char(c);
        if l != c {
            fixed.push_str(&out[copied..i]);
            fixed.push(l);
            copied = i + c.len_utf8();
        }
    }
    if copied > 0 {
        fixed.push_str(&out[copied..]);
        out = fixed;
    }
    out
}

/// One character of [`fold_case`]: its lower case when that is a single
/// character of the same UTF-8 length, otherwise the character itself.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
        _ => c,
    }
}

/// [`fold_char`]'s twin: the upper case of `c` when that is a single
/// character of the same UTF-8 length, otherwise `c` itself.
pub fn upcase_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if u.len_utf8() == c.len_utf8() => u,
        _ => c,
    }
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
    let mut acc = CaseAcc::default();
    for c in w.chars() {
        acc.push(c);
    }
    acc.case()
}

/// [`case_of`] one character at a time, counting letters for [`CaseMode`].
#[derive(Clone, Copy, Debug, Default)]
struct CaseAcc {
    /// Letters seen.
    letters: usize,
    /// Upper-case letters seen.
    upper: usize,
    /// The first letter: 0 none yet, 1 upper case, 2 lower case, 3 neither.
    first: u8,
    /// A lower-case letter after the first.
    later_lower: bool,
}

impl CaseAcc {
    fn push(&mut self, c: char) {
        let (alpha, upper, lower) = if c.is_ascii() {
            (
                c.is_ascii_alphabetic(),
                c.is_ascii_uppercase(),
                c.is_ascii_lowercase(),
            )
        } else if c.is_alphabetic() {
            (true, c.is_uppercase(), c.is_lowercase())
        } else {
            (false, false, false)
        };
        if alpha {
            self.push_letter(upper, lower);
        }
    }

    /// [`CaseAcc::push`] for a letter already classified (ASCII letters
    /// are one or the other).
    fn push_letter(&mut self, upper: bool, lower: bool) {
        self.letters += 1;
        self.upper += usize::from(upper);
        if self.first == 0 {
            self.first = if lower {
                2
            } else if upper {
                1
            } else {
                3
            };
        } else {
            self.later_lower |= lower;
        }
    }

    fn case(&self) -> Case {
        match self.first {
            0 | 3 => Case::Other,
            2 => Case::Lower,
            _ if self.letters >= 2 && !self.later_lower => Case::Upper,
            _ => Case::Title,
        }
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
    fn from_counts(letters: usize, upper: usize) -> CaseMode {
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
    words_and_mode(text).0
}

/// Splits `text` into words and classifies its case style, in one pass.
pub fn words_and_mode(text: &str) -> (Vec<Word>, CaseMode) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 6);
    let (mut letters, mut upper) = (0, 0);
    let mut gap_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip to the next letter or digit.
        let b = bytes[i];
        if b.is_ascii() {
            if ASCII_CLASS[usize::from(b)] == 0 {
                i += 1;
                continue;
            }
        } else if alnum_at(text, i).is_none() {
            i += utf8_len(b);
            continue;
        }
        let start = i;
        let mut numeric = true;
        let mut acc = CaseAcc::default();
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() {
                // ASCII letters and digits without decoding.
                let class = ASCII_CLASS[usize::from(b)];
                if class == 0 {
                    break;
                }
                if class != DIGIT {
                    numeric = false;
                    acc.push_letter(class == UPPER, class == LOWER);
                }
                i += 1;
            } else {
                let Some((c, len)) = alnum_at(text, i) else {
                    break;
                };
                numeric = false;
                acc.push(c);
                i += len;
            }
        }
        let end = i;
        letters += acc.letters;
        upper += acc.upper;
        out.push(Word {
            start,
            end,
            case: acc.case(),
            gap: gap_of(&text[gap_start..start], start),
            dot_after: bytes.get(end) == Some(&b'.'),
            numeric,
        });
        gap_start = end;
    }
    (out, CaseMode::from_counts(letters, upper))
}

/// [`ASCII_CLASS`] of a digit.
const DIGIT: u8 = 1;
/// [`ASCII_CLASS`] of a lower-case letter.
const LOWER: u8 = 2;
/// [`ASCII_CLASS`] of an upper-case letter.
const UPPER: u8 = 3;

/// Per ASCII byte: 0 (not a word character), [`DIGIT`], [`LOWER`] or
/// [`UPPER`].
const ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' => LOWER,
            b'A'..=b'Z' => UPPER,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// What the text `between` two words (the second starting at byte
/// `start`) says about the second.
fn gap_of(between: &str, start: usize) -> Gap {
    if start == 0 {
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
    }
}

/// The character at byte `i` (a character boundary) and its length, when
/// it is a letter or digit.
fn alnum_at(text: &str, i: usize) -> Option<(char, usize)> {
    let b = *text.as_bytes().get(i)?;
    if b.is_ascii() {
        return b.is_ascii_alphanumeric().then_some((char::from(b), 1));
    }
    let c = text[i..].chars().next()?;
    c.is_alphanumeric().then_some((c, c.len_utf8()))
}

/// The length of the UTF-8 character that starts with byte `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0..=0x7F => 1,
        0x80..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
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

/// HTML that notes pasted from web pages and e-mails carry, with what it
/// shows: a no-break space or a line break (`Storgata&nbsp;5`,
/// `24.06.<br>`).
/// Matched in any case (`&NBSP;`, `<BR/>`).
const MARKUP: &[(&str, char)] = &[
    ("&nbsp;", ' '),
    ("&#160;", ' '),
    ("&#xa0;", ' '),
    ("<br>", '\n'),
    ("<br/>", '\n'),
    ("<br />", '\n'),
];

/// The byte length of the markup ([`MARKUP`]) at byte `i` of `text`, and
/// what it shows.
fn markup_at(text: &str, i: usize) -> Option<(usize, char)> {
    let rest = &text.as_bytes()[i..];
    MARKUP
        .iter()
        .find(|(m, _)| {
            rest.get(..m.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(m.as_bytes()))
        })
        .map(|&(m, shown)| (m.len(), shown))
}

/// Whether `text` holds markup ([`MARKUP`]).
fn has_markup(text: &str) -> bool {
    memchr::memchr2_iter(b'&', b'<', text.as_bytes()).any(|i| markup_at(text, i).is_some())
}

/// A note as it shows, with its invisible characters ([`is_invisible`])
/// removed and its HTML spaces and line breaks ([`MARKUP`]) shown as a
/// space or a line break, and the way back: detection runs on
/// [`VisibleText::text`] and [`VisibleText::span_in_original`] turns its
/// byte spans into byte spans of the original text. `1305\u{200B}58 01432`
/// is seen as `130558 01432`, `Storgata&nbsp;5` as `Storgata 5`.
#[derive(Clone, Debug)]
pub struct VisibleText {
    /// The text without invisible characters, its markup shown.
    pub text: String,
    /// For every byte of `text`, its byte offset in the original.
    orig: Vec<usize>,
    /// Length of the original text.
    orig_len: usize,
}

impl VisibleText {
    /// The visible view of `text`, or `None` when it has no invisible
    /// character and no markup (the common case, which costs two byte
    /// scans).
    pub fn of(text: &str) -> Option<VisibleText> {
        if !has_invisible(text) && !has_markup(text) {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut orig = Vec::with_capacity(text.len());
        let mut i = 0;
        while let Some(c) = text[i..].chars().next() {
            if let Some((len, shown)) = markup_at(text, i) {
                out.push(shown);
                orig.push(i);
                i += len;
                continue;
            }
            if !is_invisible(c) {
                out.push(c);
                orig.extend(i..i + c.len_utf8());
            }
            i += c.len_utf8();
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

/// Whether `text` has an invisible character ([`is_invisible`]). Their
/// UTF-8 forms start with one of four bytes, rare in Norwegian text, so
/// most notes take one byte scan.
pub fn has_invisible(text: &str) -> bool {
    let b = text.as_bytes();
    let at = |i: usize| text.get(i..).and_then(|s| s.chars().next());
    memchr::memchr3_iter(0xC2, 0xE2, 0xEF, b)
        .chain(memchr::memchr_iter(0xE1, b))
        .any(|i| at(i).is_some_and(is_invisible))
}

/// `text` as it shows ([`VisibleText`]): without invisible characters, its
/// HTML spaces and line breaks shown; borrowed when it has neither.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match VisibleText::of(text) {
        Some(v) => std::borrow::Cow::Owned(v.text),
        None => std::borrow::Cow::Borrowed(text),
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

/// `word` (case-folded) without the accents of its letters (`nguyễn` →
/// `nguyen`, `josé` → `jose`, `łukasz` → `lukasz`), keeping the Norwegian
/// letters `æ`, `ø`, `å`; `None` when that changes nothing. The gazetteer
/// asks it only of words its table does not know, so a listed spelling
/// wins; the register looks for each accented name both ways.
pub fn without_accents(word: &str) -> Option<String> {
    use unicode_normalization_alignments::char::{decompose_canonical, is_combining_mark};
    if word
        .chars()
        .all(|c| c.is_ascii() || matches!(c, 'æ' | 'ø' | 'å'))
    {
        return None;
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            c if c.is_ascii() || matches!(c, 'æ' | 'ø' | 'å') => out.push(c),
            // Letters with a stroke or dotless forms do not decompose.
            'đ' => out.push('d'),
            'ł' => out.push('l'),
            'ı' => out.push('i'),
            c => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.push(d);
                }
            }),
        }
    }
    (out != word).then_some(out)
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
            words_and_mode("PASIENTEN ER EN 82 ÅR GAMMEL MANN FRA OSLO").1,
            CaseMode::AllCaps
        );
        assert_eq!(
            words_and_mode("pasienten er en 82 år gammel mann fra oslo").1,
            CaseMode::AllLower
        );
        assert_eq!(
            words_and_mode("Pasienten er en 82 år gammel mann fra Oslo").1,
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
        assert_eq!(shown("a\u{2060}b\u{200C}c\u{200D}"), "abc");
        // HTML spaces and line breaks in any case; other markup stays.
        assert_eq!(
            shown("Storgata&NBSP;5&#160;B&#xA0;x<BR/>y<br />z<b>&amp;"),
            "Storgata 5 B x\ny\nz<b>&amp;"
        );
    }
}
