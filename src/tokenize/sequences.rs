//! Turning encoded notes into training sequences of at most `max_len`
//! tokens, special tokens of the post-processor included.
//!
//! - `note` mode: `prefix + piece + suffix` per piece of one note; a note
//!   longer than one sequence is cut into several, never truncated.
//! - `packed` mode: notes of the same split, doc type and language are
//!   concatenated, `prefix + note₁ + sep + note₂ + … + suffix`; a note that
//!   does not fit continues in the next sequence. `note_ids`/`note_offsets`
//!   record where each note's segment starts.
//!
//! Cuts fall on word starts when one lies in the second half of the piece,
//! so words are rarely split between sequences.

use std::collections::BTreeMap;

use super::config::PackingMode;
use super::tokenizer::EncodedNote;
use crate::shard::{SpecialTokens, Split, TokenSequence};

/// Where a piece starting at `start` with room for `avail` tokens ends.
fn cut(word_start: &[bool], start: usize, avail: usize) -> usize {
    let len = word_start.len();
    if start + avail >= len {
        return len;
    }
    let end = start + avail;
    if word_start[end] {
        return end;
    }
    let floor = start + avail / 2;
    (floor + 1..end)
        .rev()
        .find(|&k| word_start[k])
        .unwrap_or(end)
}

#[derive(Default)]
struct Pack {
    ids: Vec<u32>,
    word_start: Vec<bool>,
    note_ids: Vec<String>,
    note_offsets: Vec<u32>,
}

/// The metadata of a note being added.
pub struct NoteMeta<'a> {
    /// Note id.
    pub note_id: &'a str,
    /// Canonical doc type.
    pub doc_type: &'a str,
    /// Language, when known.
    pub lang: Option<&'a str>,
    /// The patient's split.
    pub split: Split,
}

type PackKey = (Split, String, Option<String>);

/// Builds sequences from encoded notes, numbering them from a first id.
pub struct SequenceBuilder {
    mode: PackingMode,
    max_len: usize,
    specials: SpecialTokens,
    packs: BTreeMap<PackKey, Pack>,
    next_seq_id: u64,
}

impl SequenceBuilder {
    /// A builder whose first sequence gets id `first_seq_id`. Returns
    /// `None` when the special tokens leave no room for content.
    pub fn new(
        mode: PackingMode,
        max_len: usize,
        specials: SpecialTokens,
        first_seq_id: u64,
    ) -> Option<Self> {
        let overhead = specials.prefix.len() + specials.suffix.len() + specials.separator.len();
        (overhead < max_len).then_some(SequenceBuilder {
            mode,
            max_len,
            specials,
            packs: BTreeMap::new(),
            next_seq_id: first_seq_id,
        })
    }

    /// The id the next sequence will get.
    pub fn next_seq_id(&self) -> u64 {
        self.next_seq_id
    }

    /// Adds one note; complete sequences go to `out`. Returns the number of
    /// pieces the note was cut into.
    pub fn add<E>(
        &mut self,
        meta: &NoteMeta<'_>,
        note: &EncodedNote,
        out: &mut impl FnMut(TokenSequence) -> Result<(), E>,
    ) -> Result<usize, E> {
        match self.mode {
            PackingMode::Note => self.add_alone(meta, note, out),
            PackingMode::Packed => self.add_packed(meta, note, out),
        }
    }

    fn add_alone<E>(
        &mut self,
        meta: &NoteMeta<'_>,
        note: &EncodedNote,
        out: &mut impl FnMut(TokenSequence) -> Result<(), E>,
    ) -> Result<usize, E> {
        let sp = &self.specials;
        let room = self.max_len - sp.prefix.len() - sp.suffix.len();
        let mut pieces = 0;
        let mut pos = 0;
        while pos < note.ids.len() {
            let end = cut(&note.word_start, pos, room);
            let mut ids = Vec::with_capacity(end - pos + sp.prefix.len() + sp.suffix.len());
            ids.extend_from_slice(&sp.prefix);
            ids.extend_from_slice(&note.ids[pos..end]);
            ids.extend_from_slice(&sp.suffix);
            let mut ws = vec![false; sp.prefix.len()];
            ws.extend_from_slice(&note.word_start[pos..end]);
            ws.resize(ids.len(), false);
            let seq = TokenSequence {
                seq_id: self.next_seq_id,
                input_ids: ids,
                word_start: ws,
                note_ids: vec![meta.note_id.to_string()],
                note_offsets: vec![sp.prefix.len() as u32],
                doc_type: meta.doc_type.to_string(),
                lang: meta.lang.map(str::to_owned),
                split: meta.split,
            };
            self.next_seq_id += 1;
            out(seq)?;
            pieces += 1;
            pos = end;
        }
        Ok(pieces)
    }

    fn add_packed<E>(
        &mut self,
        meta: &NoteMeta<'_>,
        note: &EncodedNote,
        out: &mut impl FnMut(TokenSequence) -> Result<(), E>,
    ) -> Result<usize, E> {
        let key: PackKey = (
            meta.split,
            meta.doc_type.to_string(),
            meta.lang.map(str::to_owned),
        );
        let mut pieces = 0;
        let mut pos = 0;
        while pos < note.ids.len() {
            let sp = &self.specials;
            let pack = self.packs.entry(key.clone()).or_default();
            let has_content = !pack.note_ids.is_empty();
            let used = if has_content {
                pack.ids.len() + sp.separator.len()
            } else {
                sp.prefix.len()
            };
            let avail = self.max_len.saturating_sub(used + sp.suffix.len());
            if avail == 0 {
                let full = std::mem::take(pack);
                self.emit_pack(&key, full, out)?;
                continue;
            }
            if has_content {
                pack.ids.extend_from_slice(&sp.separator);
                pack.word_start.resize(pack.ids.len(), false);
            } else {
                pack.ids.extend_from_slice(&sp.prefix);
                pack.word_start.resize(pack.ids.len(), false);
            }
            let end = cut(&note.word_start, pos, avail);
            pack.note_ids.push(meta.note_id.to_string());
            pack.note_offsets.push(pack.ids.len() as u32);
            pack.ids.extend_from_slice(&note.ids[pos..end]);
            pack.word_start
                .extend_from_slice(&note.word_start[pos..end]);
            pieces += 1;
            pos = end;
            if pack.ids.len() + sp.suffix.len() + sp.separator.len() >= self.max_len {
                let full = std::mem::take(pack);
                self.emit_pack(&key, full, out)?;
            }
        }
        Ok(pieces)
    }

    fn emit_pack<E>(
        &mut self,
        key: &PackKey,
        mut pack: Pack,
        out: &mut impl FnMut(TokenSequence) -> Result<(), E>,
    ) -> Result<(), E> {
        if pack.note_ids.is_empty() {
            return Ok(());
        }
        pack.ids.extend_from_slice(&self.specials.suffix);
        pack.word_start.resize(pack.ids.len(), false);
        let seq = TokenSequence {
            seq_id: self.next_seq_id,
            input_ids: pack.ids,
            word_start: pack.word_start,
            note_ids: pack.note_ids,
            note_offsets: pack.note_offsets,
            doc_type: key.1.clone(),
            lang: key.2.clone(),
            split: key.0,
        };
        self.next_seq_id += 1;
        out(seq)
    }

    /// Emits every partly filled packed sequence, in (split, doc type,
    /// language) order.
    pub fn finish<E>(
        &mut self,
        out: &mut impl FnMut(TokenSequence) -> Result<(), E>,
    ) -> Result<(), E> {
        let packs = std::mem::take(&mut self.packs);
        for (key, pack) in packs {
            self.emit_pack(&key, pack, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specials() -> SpecialTokens {
        SpecialTokens {
            prefix: vec![2],
            suffix: vec![3],
            separator: vec![3],
        }
    }

    fn note(n: usize, word_every: usize) -> EncodedNote {
        EncodedNote {
            ids: (0..n as u32).map(|i| 100 + i).collect(),
            word_start: (0..n).map(|i| i % word_every == 0).collect(),
            unknown: 0,
        }
    }

    fn meta(id: &str) -> NoteMeta<'_> {
        NoteMeta {
            note_id: id,
            doc_type: "nursing_note",
            lang: Some("nob"),
            split: Split::Train,
        }
    }

    fn collect(b: &mut SequenceBuilder, notes: &[(&str, EncodedNote)]) -> Vec<TokenSequence> {
        let mut out = Vec::new();
        let mut sink = |s: TokenSequence| -> Result<(), ()> {
            out.push(s);
            Ok(())
        };
        for (id, n) in notes {
            b.add(&meta(id), n, &mut sink).unwrap();
        }
        b.finish(&mut sink).unwrap();
        out
    }

    #[test]
    fn long_note_is_chunked_without_losing_tokens_and_cut_at_word_starts() {
        let mut b = SequenceBuilder::new(PackingMode::Note, 128, specials(), 10).unwrap();
        let n = note(1000, 3);
        let seqs = collect(&mut b, &[("a", n.clone())]);
        assert!(seqs.len() >= 8);
        let mut content = Vec::new();
        for (i, s) in seqs.iter().enumerate() {
            assert_eq!(s.seq_id, 10 + i as u64);
            assert!(s.input_ids.len() <= 128);
            assert_eq!(s.input_ids[0], 2);
            assert_eq!(*s.input_ids.last().unwrap(), 3);
            assert_eq!(s.word_start.len(), s.input_ids.len());
            // Every piece starts on a word start.
            assert!(s.word_start[1], "piece {i}");
            content.extend_from_slice(&s.input_ids[1..s.input_ids.len() - 1]);
        }
        assert_eq!(content, n.ids);
    }

    #[test]
    fn packed_notes_record_boundaries_and_never_exceed_max_len() {
        let mut b = SequenceBuilder::new(PackingMode::Packed, 128, specials(), 0).unwrap();
        let notes: Vec<(String, EncodedNote)> = (0..20)
            .map(|i| (format!("n{i}"), note(30 + i * 7, 1)))
            .collect();
        let refs: Vec<(&str, EncodedNote)> =
            notes.iter().map(|(i, n)| (i.as_str(), n.clone())).collect();
        let seqs = collect(&mut b, &refs);
        let mut rebuilt: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for s in &seqs {
            assert!(s.input_ids.len() <= 128);
            assert_eq!(s.note_ids.len(), s.note_offsets.len());
            for (k, id) in s.note_ids.iter().enumerate() {
                let start = s.note_offsets[k] as usize;
                let end = s
                    .note_offsets
                    .get(k + 1)
                    .map_or(s.input_ids.len() - 1, |&o| o as usize - 1);
                rebuilt
                    .entry(id.clone())
                    .or_default()
                    .extend_from_slice(&s.input_ids[start..end]);
            }
        }
        for (id, n) in &notes {
            assert_eq!(rebuilt[id], n.ids, "note {id}");
        }
        // Full sequences are full.
        assert!(
            seqs[..seqs.len() - 1]
                .iter()
                .all(|s| s.input_ids.len() >= 126)
        );
    }
}
