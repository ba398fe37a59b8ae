//! Where pattern rules can match: one scan per note for all rules at once.
//!
//! A rule match starts at a *token start*: a character position that is
//! not inside a word (a run of Unicode word characters, as the regex `\w`
//! defines them), so it starts a word, a number, a punctuation mark or a
//! space — never the `sak` inside `årsak` or the `rgan` inside `Bjørgan`.
//! (Every rule's whole-text regex is compiled with the equivalent prefix
//! `\b{start-half}|\b{end-half}`, so a plain regex search gives the same
//! matches; see [`super::rules`].)
//!
//! [`Scanner`] compiles every rule into one lazy DFA that, started
//! (anchored) at a token start, reports every rule with a match beginning
//! there. One pass over the note visits each token start whose first two
//! bytes some rule can begin with and walks the DFA until no rule can go
//! on, which in prose takes a few bytes; the rules then run their own regexes only at
//! the positions where they are known to match. That replaces one search of
//! the whole note per rule.
//!
//! A hostile note could make the walks long (a megabyte of `A.A.A.…` keeps
//! some rules alive from every token start): when the walks of a note exceed
//! [`WALK_BUDGET`] times its length, [`Scanner::starts`] gives up and the
//! caller searches rule by rule, which is linear in the note's length
//! (and slower: the regexes then check token starts themselves).

use std::sync::Arc;

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::Hir;

/// The walks of one note may step through at most this many bytes per byte
/// of note (plus 64 KiB that every note may walk) before the scan gives up.
pub const WALK_BUDGET: usize = 64;
/// Bytes every note may walk regardless of its length.
const WALK_SLACK: usize = 1 << 16;
/// Most memory one thread's DFA cache may use (a full cache is cleared and
/// refilled, never exceeded). The states the shipped rules reach on 60,000
/// generated notes outgrow 16 MiB, which cost 7–10 % of deid's time in
/// refills; 32 MiB holds them (64 MiB is no faster; BENCHMARKS.md).
const CACHE_BYTES: usize = 32 << 20;

/// Whether `c` is a word character (`\w`: letters, marks, digits,
/// connector punctuation).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        regex_syntax::is_word_character(c)
    }
}

/// Whether the character starting at byte `p` of `text` (a character
/// boundary) is a word character; ASCII without decoding.
#[inline]
fn word_char_at(text: &str, p: usize) -> bool {
    match text.as_bytes().get(p) {
        Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric() || b == b'_',
        Some(_) => text[p..].chars().next().is_some_and(is_word_char),
        None => false,
    }
}

/// Whether a rule match may start at byte `p` of `text`: a character
/// boundary not inside a word.
pub fn is_token_start(text: &str, p: usize) -> bool {
    if !text.is_char_boundary(p) || p >= text.len() {
        return false;
    }
    let prev_word = text[..p].chars().next_back().is_some_and(is_word_char);
    !prev_word || !word_char_at(text, p)
}

/// The scan gave up on a note (see the module docs); search rule by rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaveUp;

type CacheFn =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// All scanned rules in one anchored lazy DFA.
pub struct Scanner {
    dfa: Arc<DFA>,
    caches: Pool<Cache, CacheFn>,
    /// Rule index of each DFA pattern.
    rule_of: Vec<u32>,
    /// For a look-behind byte (index 256: none), which table of `second`.
    start_class: Box<[u8; 257]>,
    /// Per start class and first byte, the second bytes some rule can go
    /// on with (a 256-bit set; all zero when none can begin with the
    /// first byte).
    second: Vec<[[u64; 4]; 256]>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rule_of.len())
            .finish()
    }
}

impl Scanner {
    /// Compiles `rules` (rule index, parsed regex) into one DFA. `None`
    /// when the DFA cannot be built (then every rule searches on its own).
    pub fn new(rules: &[(usize, &Hir)]) -> Option<Scanner> {
        Scanner::with_cache(rules, CACHE_BYTES)
    }

    /// [`Scanner::new`] with at most `cache_bytes` of DFA cache per thread
    /// (too little for the rules: `None`).
    pub fn with_cache(rules: &[(usize, &Hir)], cache_bytes: usize) -> Option<Scanner> {
        if rules.is_empty() {
            return None;
        }
        let hirs: Vec<&Hir> = rules.iter().map(|(_, h)| *h).collect();
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
            .build_many_from_hir(&hirs)
            .ok()?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(cache_bytes)
                    .minimum_cache_clear_count(None),
            )
            .build_from_nfa(nfa)
            .ok()?;
        let dfa = Arc::new(dfa);
        let mut cache = dfa.create_cache();
        // Start states depend on the look-behind byte only through a few
        // classes (word byte, line end, …): one `second` table per
        // distinct start state. State ids compare only while the cache is
        // not cleared, so the classes come first.
        let cfg = |lb: usize| {
            start::Config::new()
                .anchored(Anchored::Yes)
                .look_behind(u8::try_from(lb).ok())
        };
        let clears = cache.clear_count();
        let mut start_class = Box::new([0u8; 257]);
        let mut seen: Vec<(LazyStateID, usize)> = Vec::new();
        for lb in 0..=256usize {
            let sid = dfa.start_state(&mut cache, &cfg(lb)).ok()?;
            let class = match seen.iter().position(|&(s, _)| s == sid) {
                Some(k) => k,
                None => {
                    seen.push((sid, lb));
                    seen.len() - 1
                }
            };
            start_class[lb] = u8::try_from(class).ok()?;
        }
        if cache.clear_count() != clears {
            return None;
        }
        let mut second = Vec::with_capacity(seen.len());
        for &(_, lb) in &seen {
            second.push(viable_pairs(&dfa, &mut cache, &cfg(lb))?);
        }
        let make = Arc::clone(&dfa);
        let create: CacheFn = Box::new(move || make.create_cache());
        Some(Scanner {
            dfa,
            caches: Pool::new(create),
            rule_of: rules.iter().map(|(i, _)| *i as u32).collect(),
            start_class,
            second,
        })
    }

    /// Appends `(rule << 32) | start` for every rule and every token start
    /// of `text` where that rule has a match, sorted and without
    /// duplicates.
    pub fn starts(&self, text: &str, out: &mut Vec<u64>) -> Result<(), GaveUp> {
        let from = out.len();
        let b = text.as_bytes();
        let dfa = &*self.dfa;
        let mut guard = self.caches.get();
        // Dereference the pool guard once, not at every step.
        let cache: &mut Cache = &mut guard;
        let budget = b
            .len()
            .saturating_mul(WALK_BUDGET)
            .saturating_add(WALK_SLACK);
        let mut walked = 0usize;
        let mut starts: Vec<Option<LazyStateID>> = vec![None; self.second.len()];
        let mut clears = cache.clear_count();
        // Whether the character before `p` is a word character.
        let mut prev_word = false;
        for p in 0..b.len() {
            let c = b[p];
            if c & 0xC0 == 0x80 {
                continue;
            }
            let word = word_char_at(text, p);
            let inside_word = prev_word && word;
            prev_word = word;
            if inside_word {
                continue;
            }
            let look_behind = p.checked_sub(1).map(|q| b[q]);
            // Most token starts (spaces, punctuation) fail on their first
            // two bytes: a table answers without walking.
            let class = self.start_class[look_behind.map_or(256, usize::from)];
            let pairs = &self.second[usize::from(class)][usize::from(c)];
            let go_on = match b.get(p + 1) {
                Some(&d) => pairs[usize::from(d >> 6)] >> (d & 63) & 1 == 1,
                None => pairs.iter().any(|&w| w != 0),
            };
            if !go_on {
                continue;
            }
            // Start states by class, found once per note (and again after
            // the cache was cleared, which invalidates state ids).
            if cache.clear_count() != clears {
                clears = cache.clear_count();
                starts.iter_mut().for_each(|s| *s = None);
            }
            let mut sid = match starts[usize::from(class)] {
                Some(sid) => sid,
                None => {
                    let cfg = start::Config::new()
                        .anchored(Anchored::Yes)
                        .look_behind(look_behind);
                    let sid = dfa.start_state(cache, &cfg).map_err(|_| GaveUp)?;
                    starts[usize::from(class)] = Some(sid);
                    sid
                }
            };
            let mut i = p;
            loop {
                if sid.is_tagged() {
                    if sid.is_match() {
                        self.record(cache, sid, p, out);
                    }
                    if sid.is_dead() {
                        break;
                    }
                    if sid.is_quit() {
                        return Err(GaveUp);
                    }
                }
                if i == b.len() {
                    sid = dfa.next_eoi_state(cache, sid).map_err(|_| GaveUp)?;
                    if sid.is_match() {
                        self.record(cache, sid, p, out);
                    }
                    break;
                }
                sid = dfa.next_state(cache, sid, b[i]).map_err(|_| GaveUp)?;
                i += 1;
            }
            walked += i - p;
            if walked > budget {
                out.truncate(from);
                return Err(GaveUp);
            }
        }
        out[from..].sort_unstable();
        let mut w = from;
        for r in from..out.len() {
            if w == from || out[w - 1] != out[r] {
                out[w] = out[r];
                w += 1;
            }
        }
        out.truncate(w);
        Ok(())
    }

    /// Records every rule of match state `sid` as matching from `p`.
    fn record(&self, cache: &Cache, sid: LazyStateID, p: usize, out: &mut Vec<u64>) {
        for k in 0..self.dfa.match_len(cache, sid) {
            let pid = self.dfa.match_pattern(cache, sid, k).as_usize();
            out.push((u64::from(self.rule_of[pid]) << 32) | p as u64);
        }
    }
}

/// For the start configuration `cfg`: per first byte, the set of second
/// bytes after which some rule is still alive (or has matched).
fn viable_pairs(dfa: &DFA, cache: &mut Cache, cfg: &start::Config) -> Option<[[u64; 4]; 256]> {
    let alive = |s: LazyStateID| !(s.is_dead() || s.is_quit());
    // A state id is valid only until the cache is next cleared: after the
    // first byte's state, both are looked up again whenever that happened.
    let after = |cache: &mut Cache, b0: u8| -> Option<LazyStateID> {
        let sid = dfa.start_state(cache, cfg).ok()?;
        dfa.next_state(cache, sid, b0).ok()
    };
    let mut table = [[0u64; 4]; 256];
    for (b0, row) in (0..=255u8).zip(table.iter_mut()) {
        let mut s1 = after(cache, b0)?;
        if !alive(s1) {
            continue;
        }
        for b1 in 0..=255u8 {
            let clears = cache.clear_count();
            let mut s2 = dfa.next_state(cache, s1, b1).ok()?;
            if cache.clear_count() != clears {
                s1 = after(cache, b0)?;
                s2 = dfa.next_state(cache, s1, b1).ok()?;
            }
            if alive(s2) {
                row[usize::from(b1 >> 6)] |= 1 << (b1 & 63);
            }
        }
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache far too small for the rules is cleared again and again
    /// while notes are scanned: the starts found stay the same.
    #[test]
    fn a_small_cache_finds_the_same_starts() {
        use crate::deid::rules::RuleSet;
        use crate::synth::{Generator, SynthConfig};
        let set = RuleSet::load(&[]).unwrap();
        let hirs: Vec<Hir> = set
            .rules()
            .iter()
            .map(|r| regex_syntax::Parser::new().parse(&r.spec.regex).unwrap())
            .collect();
        let rules: Vec<(usize, &Hir)> = hirs.iter().enumerate().collect();
        let big = Scanner::new(&rules).unwrap();
        let small = (1..64)
            .find_map(|k| Scanner::with_cache(&rules, k << 16))
            .expect("some small cache works");
        let g = Generator::new(SynthConfig {
            seed: 4,
            notes: 200,
            ..SynthConfig::default()
        })
        .unwrap();
        let mut n = 0;
        for note in g.notes() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            big.starts(&note.text, &mut a).unwrap();
            small.starts(&note.text, &mut b).unwrap();
            assert_eq!(a, b);
            n += a.len();
        }
        assert!(n > 1000, "{n}");
    }

    #[test]
    fn token_starts() {
        let t = "Årsak: sak-12 R2D2 a_b Bjørgan æøå";
        let starts: Vec<usize> = (0..t.len()).filter(|&p| is_token_start(t, p)).collect();
        let at = |s: &str| t.find(s).unwrap_or(usize::MAX);
        // Words, numbers and punctuation start tokens; the letters inside
        // `Årsak`, `R2D2`, `a_b` and `Bjørgan` do not.
        assert!(starts.contains(&0) && !starts.contains(&at("rsak")));
        assert!(starts.contains(&at("sak-")) && starts.contains(&at("-12")));
        assert!(starts.contains(&at("12")));
        assert!(!starts.contains(&(at("R2D2") + 1)));
        assert!(!starts.contains(&(at("a_b") + 2)));
        assert!(!starts.contains(&at("rgan")) && !starts.contains(&at("øa")));
        // Not inside a multi-byte character.
        assert!(!starts.contains(&(at("æøå") + 1)));
    }
}
