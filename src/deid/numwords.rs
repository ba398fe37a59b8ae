//! Numbers written in words, as dictated notes hold them: `åttisju år
//! gammel`, `en nittiåring`, `null tre åtte fem …` for a spoken number.
//!
//! The rules in `rules/deid/*.toml` find such spans (`{{number_word}}`,
//! `{{digit_word}}`, `{{pair_word}}`); this module reads them back for the
//! surrogates: an age's value (`nittien` → 91, bucketed like `91`) and a
//! spoken number (replaced word by word with number words of the same
//! size), and writes numbers in words.

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

/// `n` (0 to 199) in words, bokmål (each table's first word for a value),
/// as one word (`åttisju`, `hundreogto`).
pub fn to_words(n: u32) -> String {
    let word = |table: &[(&'static str, u32)], v: u32| {
        table.iter().find(|&&(_, x)| x == v).map_or("", |&(w, _)| w)
    };
    let n = n.min(199);
    match n {
        100 => "hundre".to_string(),
        101.. => format!("hundreog{}", to_words(n - 100)),
        0..10 => word(DIGITS, n).to_string(),
        10..20 => word(TEENS, n).to_string(),
        _ if n.is_multiple_of(10) => word(TENS, n).to_string(),
        _ => format!("{}{}", word(TENS, n - n % 10), word(DIGITS, n % 10)),
    }
}

fn lookup(table: &[(&str, u32)], w: &str) -> Option<u32> {
    table.iter().find(|(k, _)| *k == w).map(|&(_, v)| v)
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
/// (`nittien år gammel`, `nittiåring`, `nitti tre år`, `hundre og tre år`,
/// `fem og nitti år`), with its byte range. A word counts where its
/// longest leading number is followed by the end of the word or `år…`
/// (`åttiåring`, not `tiltak`); a whole number word goes on over the next
/// words while they make one number.
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
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, lower.len()));
    }
    let word = |k: usize| &lower[words[k].0..words[k].1];
    for (i, &(s, e)) in words.iter().enumerate() {
        let Some((end, v)) = leading_number(word(i)) else {
            continue;
        };
        if s + end < e {
            return Some((s..s + end, v));
        }
        let (mut acc, mut last, mut val, mut k) = (word(i).to_string(), e, v, i + 1);
        while k < words.len() && matches!(&lower[last..words[k].0], " " | "-") {
            // `hundre og tre`, `fem og nitti`: `og` joins two parts.
            let (next, upto) = if word(k) == "og"
                && k + 1 < words.len()
                && &lower[words[k].1..words[k + 1].0] == " "
            {
                (format!("{acc}og{}", word(k + 1)), k + 1)
            } else {
                (format!("{acc}{}", word(k)), k)
            };
            let Some(v2) = value(&next) else { break };
            (acc, last, val, k) = (next, words[upto].1, v2, upto + 1);
        }
        return Some((s..last, val));
    }
    None
}

/// The longest leading number of a word and its end, where the rest of
/// the word is empty or `år…`.
fn leading_number(word: &str) -> Option<(usize, u32)> {
    let mut ends: Vec<usize> = word.char_indices().map(|(i, _)| i).skip(1).collect();
    ends.push(word.len());
    ends.into_iter().rev().find_map(|end| {
        let rest = &word[end..];
        (rest.is_empty() || rest.starts_with("år"))
            .then(|| value(&word[..end]).map(|v| (end, v)))
            .flatten()
    })
}

/// Whether `text` is a number spoken word by word: four or more number
/// words below 100 and nothing else but spaces and commas (`null tre åtte
/// fem`, `nittito åtti førtifem tolv`).
pub fn spoken_number(text: &str) -> bool {
    let mut n = 0;
    for w in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
    {
        if value(&w.to_lowercase()).is_none_or(|v| v >= 100) {
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
            ("nitti tre år", Some((0..9, 93))),
            ("nitti-en år", Some((0..8, 91))),
            ("hundre og tre år", Some((0..13, 103))),
            ("fem og nitti år gammel", Some((0..12, 95))),
            ("tolv tre år", Some((0..4, 12))),
            ("gammel", None),
        ];
        for (t, want) in cases {
            assert_eq!(number_in(t), want, "{t}");
        }
    }

    #[test]
    fn spoken_numbers() {
        assert!(spoken_number("null tre åtte fem fire sju"));
        assert!(spoken_number("ni, to, åtte, fire"));
        assert!(!spoken_number("to tre"));
        assert!(!spoken_number("to tre fire tabletter"));
        assert!(spoken_number("nittito åtti førtifem tolv"));
    }

    #[test]
    fn numbers_written_in_words() {
        for n in 0..=199 {
            assert_eq!(value(&to_words(n)), Some(n), "{n}");
        }
        assert_eq!(to_words(87), "åttisju");
        assert_eq!(to_words(102), "hundreogto");
    }
}
