//! Numbers written in words, as dictated notes hold them: `åttisju år
//! gammel`, `en nittiåring`, `null tre åtte fem …` for a spoken number.
//!
//! The rules in `rules/deid/*.toml` find such spans (`{{number_word}}`,
//! `{{digit_word}}`); this module reads them back for the surrogates: an
//! age's value (`nittien` → 91, bucketed like `91`) and a spoken digit
//! string (replaced digit word by digit word).

use std::ops::Range;

/// Digit words, bokmål and nynorsk (`ein`, `eitt`), with their value.
const DIGITS: &[(&str, u32)] = &[
    ("null", 0),
    ("en", 1),
    ("ein", 1),
    ("ett", 1),
    ("eitt", 1),
    ("to", 2),
    ("tre", 3),
    ("fire", 4),
    ("fem", 5),
    ("seks", 6),
    ("sju", 7),
    ("syv", 7),
    ("åtte", 8),
    ("ni", 9),
];

/// Ten to nineteen.
const TEENS: &[(&str, u32)] = &[
    ("ti", 10),
    ("elleve", 11),
    ("tolv", 12),
    ("tretten", 13),
    ("fjorten", 14),
    ("femten", 15),
    ("seksten", 16),
    ("sytten", 17),
    ("søtten", 17),
    ("atten", 18),
    ("nitten", 19),
];

/// The tens, new and old counting (`tjue`, `tyve`).
const TENS: &[(&str, u32)] = &[
    ("tjue", 20),
    ("tyve", 20),
    ("tretti", 30),
    ("tredve", 30),
    ("førti", 40),
    ("førr", 40),
    ("femti", 50),
    ("seksti", 60),
    ("sytti", 70),
    ("søtti", 70),
    ("åtti", 80),
    ("nitti", 90),
];

/// The digit words a surrogate draws from (bokmål).
pub const DIGIT_WORDS: [&str; 10] = [
    "null", "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni",
];

fn lookup(table: &[(&str, u32)], w: &str) -> Option<u32> {
    table.iter().find(|(k, _)| *k == w).map(|&(_, v)| v)
}

/// The value of one digit word (`åtte` → 8; lower case).
pub fn digit(word: &str) -> Option<u32> {
    lookup(DIGITS, word)
}

/// The value of a number word below 100 (`nittien`, `femogtyve`).
fn below_hundred(w: &str) -> Option<u32> {
    if let Some(v) = lookup(DIGITS, w).or_else(|| lookup(TEENS, w)) {
        return Some(v);
    }
    for &(tens, t) in TENS {
        if let Some(rest) = w.strip_prefix(tens) {
            if rest.is_empty() {
                return Some(t);
            }
            return lookup(DIGITS, rest).filter(|&u| u > 0).map(|u| t + u);
        }
    }
    // Old counting: `femogtyve`, `enogførr`.
    let (unit, tens) = w.split_once("og")?;
    let u = lookup(DIGITS, unit).filter(|&u| u > 0)?;
    let t = lookup(TENS, tens)?;
    Some(t + u)
}

/// The value of a number word (lower case, no spaces) from 0 to 199:
/// `åttisju` → 87, `hundreogto` → 102.
pub fn value(word: &str) -> Option<u32> {
    let rest = ["etthundre", "eitthundre", "hundre"]
        .iter()
        .find_map(|h| word.strip_prefix(h));
    match rest {
        Some(rest) => {
            let rest = rest.strip_prefix("og").unwrap_or(rest);
            if rest.is_empty() {
                Some(100)
            } else {
                below_hundred(rest).map(|v| 100 + v)
            }
        }
        None => below_hundred(word),
    }
}

/// The first number in an age's text, in digits (`92 år`) or in words
/// (`nittien år gammel`, `nittiåring`), with its byte range. A word counts
/// where its longest leading number is followed by the end of the word, a
/// hyphen or `år…` (`åttiåring`, not `tiltak`).
pub fn number_in(text: &str) -> Option<(Range<usize>, u32)> {
    if let Some(start) = text.find(|c: char| c.is_ascii_digit()) {
        let len = text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len() - start);
        let v = text[start..start + len].parse().ok()?;
        return Some((start..start + len, v));
    }
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return None;
    }
    let mut at = 0;
    for word in lower.split(|c: char| !c.is_alphabetic()) {
        let start = at;
        at += word.len() + 1;
        let mut ends: Vec<usize> = word.char_indices().map(|(i, _)| i).skip(1).collect();
        ends.push(word.len());
        for &end in ends.iter().rev() {
            let rest = &word[end..];
            if (rest.is_empty() || rest.starts_with("år"))
                && let Some(v) = value(&word[..end])
            {
                return Some((start..start + end, v));
            }
        }
    }
    None
}

/// Whether `text` is a number spoken digit by digit: four or more digit
/// words and nothing else but spaces and commas (`null tre åtte fem`).
pub fn spoken_digits(text: &str) -> bool {
    let mut n = 0;
    for w in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
    {
        if digit(&w.to_lowercase()).is_none() {
            return false;
        }
        n += 1;
    }
    n >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words_read_as_their_values() {
        for (w, v) in [
            ("en", 1),
            ("tolv", 12),
            ("nitten", 19),
            ("tjue", 20),
            ("tjueen", 21),
            ("tjueein", 21),
            ("åttisju", 87),
            ("nittien", 91),
            ("søttiåtte", 78),
            ("femogtyve", 25),
            ("hundre", 100),
            ("hundreogto", 102),
            ("etthundreogti", 110),
        ] {
            assert_eq!(value(w), Some(v), "{w}");
        }
        for w in [
            "",
            "tjuenull",
            "tiltak",
            "og",
            "hundreogtjuenull",
            "nullogtyve",
            "enogti",
        ] {
            assert_eq!(value(w), None, "{w}");
        }
    }

    #[test]
    fn the_number_in_an_age() {
        let cases = [
            ("92 år", Some((0..2, 92))),
            ("nittien år gammel", Some((0..7, 91))),
            ("Nittiåring", Some((0..5, 90))),
            ("åttiåringen", Some((0..5, 80))),
            ("sekstiåring", Some((0..6, 60))),
            ("femti-åring", Some((0..5, 50))),
            ("tjueåtte år", Some((0..9, 28))),
            ("gammel", None),
        ];
        for (t, want) in cases {
            assert_eq!(number_in(t), want, "{t}");
        }
    }

    #[test]
    fn spoken_digit_strings() {
        assert!(spoken_digits("null tre åtte fem fire sju"));
        assert!(spoken_digits("ni, to, åtte, fire"));
        assert!(!spoken_digits("to tre"));
        assert!(!spoken_digits("to tre fire tabletter"));
    }
}
