//! Identifier numbers: fødselsnummer and D-numbers in the synthetic Tenor
//! range (month + 80, so no real person can ever have one), organisation
//! and account numbers with valid mod-11 check digits, phone numbers in
//! Norwegian-looking ranges, HPR and record numbers.

use chrono::{Datelike, NaiveDate};

use super::rng::Rng;

const FNR_K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const FNR_K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const ORG_W: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
const ACCOUNT_W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The mod-11 check digit for `digits` under `weights`; `None` when the
/// remainder makes the number invalid (check digit 10).
fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// True when `s` is 11 digits with both fødselsnummer check digits right.
pub fn fnr_checksum_ok(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 || s.chars().filter(|c| !c.is_whitespace()).count() != 11 {
        return false;
    }
    mod11(&d[..9], &FNR_K1) == Some(d[9]) && mod11(&d[..10], &FNR_K2) == Some(d[10])
}

/// True when the month field of an 11-digit national id is in the synthetic
/// (Tenor) range 81–92.
pub fn is_synthetic_range(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    d.len() == 11 && (81..=92).contains(&(d[2] * 10 + d[3]))
}

/// A synthetic (Tenor) fødselsnummer for `birth`, or a D-number when
/// `d_number` (day + 40). Always 11 digits, valid check digits.
pub fn national_id(rng: &mut Rng, birth: NaiveDate, d_number: bool) -> String {
    let day = birth.day() + if d_number { 40 } else { 0 };
    let month = birth.month() + 80;
    let yy = (birth.year() % 100) as u32;
    let (lo, hi) = match birth.year() {
        y if y >= 2000 => (500, 999),
        y if y >= 1940 => (0, 499),
        y if y >= 1900 => (0, 499),
        _ => (500, 749),
    };
    loop {
        let ind = rng.range(lo, hi);
        let mut d = [0u32; 11];
        d[0] = day / 10;
        d[1] = day % 10;
        d[2] = month / 10;
        d[3] = month % 10;
        d[4] = yy / 10;
        d[5] = yy % 10;
        d[6] = ind / 100;
        d[7] = ind / 10 % 10;
        d[8] = ind % 10;
        let Some(k1) = mod11(&d[..9], &FNR_K1) else {
            continue;
        };
        d[9] = k1;
        let Some(k2) = mod11(&d[..10], &FNR_K2) else {
            continue;
        };
        d[10] = k2;
        return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    }
}

/// A 9-digit organisation number (first digit 8 or 9) with a valid check digit.
pub fn org_number(rng: &mut Rng) -> String {
    loop {
        let mut d = [0u32; 9];
        d[0] = if rng.chance(0.5) { 8 } else { 9 };
        for x in &mut d[1..8] {
            *x = rng.range(0, 9);
        }
        if let Some(k) = mod11(&d[..8], &ORG_W) {
            d[8] = k;
            return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
        }
    }
}

/// An 11-digit bank account number with a valid check digit, as digits.
pub fn account_number(rng: &mut Rng) -> String {
    loop {
        let mut d = [0u32; 11];
        for x in &mut d[..10] {
            *x = rng.range(0, 9);
        }
        d[0] = rng.range(1, 9);
        if let Some(k) = mod11(&d[..10], &ACCOUNT_W) {
            d[10] = k;
            return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
        }
    }
}

/// An 8-digit Norwegian phone number: mobiles start with 4 or 9, landlines
/// with an area digit (2 Oslo, 3, 5, 6, 7).
pub fn phone_digits(rng: &mut Rng, mobile: bool) -> String {
    let first = if mobile {
        *rng.pick(&[4u32, 9, 9, 9])
    } else {
        *rng.pick(&[2u32, 2, 3, 5, 6, 7])
    };
    let mut s = String::with_capacity(8);
    s.push(char::from(b'0' + first as u8));
    for _ in 0..7 {
        s.push(char::from(b'0' + rng.range(0, 9) as u8));
    }
    s
}

/// `n` random digits, the first non-zero.
pub fn digits(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    for i in 0..n {
        let d = if i == 0 {
            rng.range(1, 9)
        } else {
            rng.range(0, 9)
        };
        s.push(char::from(b'0' + d as u8));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::rng::Stream;

    #[test]
    fn national_ids_are_valid_and_synthetic() {
        let mut rng = Rng::for_item(3, Stream::Patient, 0);
        for i in 0..2000 {
            let birth =
                NaiveDate::from_ymd_opt(1920 + (i % 100), 1 + (i % 12) as u32, 1 + (i % 28) as u32)
                    .expect("date");
            let id = national_id(&mut rng, birth, i % 5 == 0);
            assert_eq!(id.len(), 11);
            assert!(fnr_checksum_ok(&id), "checksum");
            assert!(is_synthetic_range(&id), "month field must be month + 80");
        }
    }

    #[test]
    fn checksum_rejects_a_changed_digit() {
        let mut rng = Rng::for_item(3, Stream::Patient, 1);
        let birth = NaiveDate::from_ymd_opt(1958, 5, 13).expect("date");
        let id = national_id(&mut rng, birth, false);
        let mut bad: Vec<char> = id.chars().collect();
        bad[10] = if bad[10] == '0' { '1' } else { '0' };
        let bad: String = bad.into_iter().collect();
        assert!(!fnr_checksum_ok(&bad));
    }

    #[test]
    fn org_and_account_numbers_have_valid_check_digits() {
        let mut rng = Rng::for_item(5, Stream::Note, 0);
        for _ in 0..200 {
            let o = org_number(&mut rng);
            let d: Vec<u32> = o.chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(mod11(&d[..8], &ORG_W), Some(d[8]));
            let a = account_number(&mut rng);
            let d: Vec<u32> = a.chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(mod11(&d[..10], &ACCOUNT_W), Some(d[10]));
        }
    }
}
