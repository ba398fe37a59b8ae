//! [`NoteTokenizer`]: a Hugging Face tokenizer, loaded from any
//! `tokenizer.json` or trained as WordPiece on the notes, plus what the
//! sequence builder needs from it (special tokens of the post-processor,
//! word starts).

use std::path::Path;

use rayon::prelude::*;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::bpe::{BPE, BpeTrainer};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{
    AddedToken, Encoding, Model, NormalizedString, Normalizer, OffsetReferential, OffsetType,
    PreTokenizedString, PreTokenizer, Token, Tokenizer, Trainer,
};

use super::TokenizeError;
use crate::fsio::{self, PathError};
use crate::shard::SpecialTokens;

/// Special tokens of a trained vocabulary, in id order.
pub const TRAINED_SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A note's content tokens (no special tokens).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodedNote {
    /// Token ids.
    pub ids: Vec<u32>,
    /// Per token: it begins a pre-tokenizer word.
    pub word_start: Vec<bool>,
    /// Tokens that are the unknown token.
    pub unknown: u64,
}

/// A tokenizer ready to encode notes, with the exact `tokenizer.json` bytes
/// it came from (copied unchanged next to the shards).
pub struct NoteTokenizer {
    inner: Tokenizer,
    json: Vec<u8>,
    specials: SpecialTokens,
    vocab_size: usize,
    unk_id: Option<u32>,
    had_truncation: bool,
}

/// Id used to find where the post-processor puts the content.
const PROBE_ID: u32 = u32::MAX - 7;

impl NoteTokenizer {
    /// Loads a `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self, TokenizeError> {
        let json = std::fs::read(path).map_err(|e| PathError::new("reading", path, e))?;
        Self::from_json(json).map_err(|message| TokenizeError::Tokenizer {
            path: path.display().to_string(),
            message,
        })
    }

    /// Builds from the bytes of a `tokenizer.json`.
    pub fn from_json(json: Vec<u8>) -> Result<Self, String> {
        let mut inner = Tokenizer::from_bytes(&json).map_err(|e| e.to_string())?;
        let had_truncation = inner.get_truncation().is_some();
        // Sequences are cut by norclin, never silently by the tokenizer.
        inner.with_truncation(None).map_err(|e| e.to_string())?;
        inner.with_padding(None);
        let vocab = inner.get_vocab(true);
        let vocab_size = vocab.values().max().map_or(0, |&m| m as usize + 1);
        let unk_id = unk_token(&json).and_then(|t| inner.token_to_id(&t));
        let probe = Encoding::from_tokens(vec![Token::new(PROBE_ID, "x".into(), (0, 1))], 0);
        let processed = inner
            .post_process(probe, None, true)
            .map_err(|e| format!("post-processor: {e}"))?;
        let ids = processed.get_ids();
        let at = ids
            .iter()
            .position(|&i| i == PROBE_ID)
            .ok_or("post-processor drops the content; cannot place special tokens")?;
        let specials = SpecialTokens {
            prefix: ids[..at].to_vec(),
            suffix: ids[at + 1..].to_vec(),
            separator: ids[at + 1..].to_vec(),
        };
        Ok(NoteTokenizer {
            inner,
            json,
            specials,
            vocab_size,
            unk_id,
            had_truncation,
        })
    }

    /// Trains a WordPiece vocabulary of `vocab_size` on `texts` (BERT
    /// normalizer without accent stripping, optionally lower-casing; BERT
    /// pre-tokenizer; `[CLS] $A [SEP]` post-processor).
    ///
    /// The `tokenizers` WordPiece trainer numbers `##` pieces in hash-map
    /// order, so its vocabulary changes from run to run. Here the trainer
    /// sees each continuation character as a distinct "shadow" character
    /// (a private-use code point), which puts every `##` piece in the sorted
    /// alphabet; shadow pieces become `##` pieces afterwards. Same notes,
    /// same vocabulary, byte for byte.
    pub fn train<I>(
        texts: I,
        vocab_size: usize,
        lowercase: bool,
        min_frequency: u64,
    ) -> Result<Self, String>
    where
        I: Iterator<Item = String> + Send,
    {
        let normalizer = BertNormalizer::new(true, true, Some(false), lowercase);
        let mut trainer = BpeTrainer::builder()
            .vocab_size(vocab_size)
            .min_frequency(min_frequency)
            .show_progress(false)
            .special_tokens(
                TRAINED_SPECIAL_TOKENS
                    .iter()
                    .map(|t| AddedToken::from(*t, true))
                    .collect(),
            )
            .build();
        trainer
            .feed(texts, |text| {
                let mut normalized = NormalizedString::from(text);
                normalizer.normalize(&mut normalized)?;
                let mut pre = PreTokenizedString::from(normalized);
                BertPreTokenizer.pre_tokenize(&mut pre)?;
                // Words longer than WordPiece's limit encode as one unknown
                // token whatever the vocabulary holds, and the BPE trainer
                // is quadratic in word length (a 1 MB "word" took minutes):
                // they teach nothing and are left out.
                Ok(pre
                    .get_splits(OffsetReferential::Original, OffsetType::None)
                    .into_iter()
                    .filter(|(w, _, _)| w.chars().nth(MAX_INPUT_CHARS_PER_WORD).is_none())
                    .map(|(w, _, _)| shadow_word(w))
                    .collect())
            })
            .map_err(|e| format!("training: {e}"))?;
        let mut bpe = BPE::default();
        let specials = trainer
            .train(&mut bpe)
            .map_err(|e| format!("training: {e}"))?;
        let mut pieces: Vec<(String, u32)> = bpe
            .get_vocab()
            .into_iter()
            .map(|(t, id)| (unshadow_piece(&t), id))
            .collect();
        pieces.sort_by_key(|p| p.1);
        let mut vocab = serde_json::Map::new();
        for (piece, id) in pieces {
            vocab.entry(piece).or_insert(id.into());
        }
        let model = serde_json::json!({
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": MAX_INPUT_CHARS_PER_WORD,
            "vocab": vocab,
        });
        let mut tokenizer = Tokenizer::new(
            serde_json::from_str::<WordPiece>(&model.to_string()).map_err(|e| e.to_string())?,
        );
        tokenizer
            .with_normalizer(Some(normalizer))
            .map_err(|e| e.to_string())?;
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer.with_decoder(Some(WordPieceDecoder::default()));
        tokenizer
            .add_special_tokens(specials)
            .map_err(|e| e.to_string())?;
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| format!("trained vocabulary lacks {t}"))
        };
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        let template = TemplateProcessing::builder()
            .try_single("[CLS] $A [SEP]")
            .map_err(|e| e.to_string())?
            .try_pair("[CLS] $A [SEP] $B:1 [SEP]:1")
            .map_err(|e| e.to_string())?
            .special_tokens(vec![("[CLS]", cls), ("[SEP]", sep)])
            .build()
            .map_err(|e| e.to_string())?;
        tokenizer.with_post_processor(Some(template));
        let json = tokenizer.to_string(true).map_err(|e| e.to_string())?;
        NoteTokenizer::from_json(json.into_bytes())
    }

    /// Sets the separator between packed notes to `token`.
    pub fn set_separator(&mut self, token: &str) -> Result<(), String> {
        let id = self
            .inner
            .token_to_id(token)
            .ok_or_else(|| format!("separator `{token}` is not in the vocabulary"))?;
        self.specials.separator = vec![id];
        Ok(())
    }

    /// Special tokens around a sequence and between packed notes.
    pub fn specials(&self) -> &SpecialTokens {
        &self.specials
    }

    /// Ids in the vocabulary, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// Whether the loaded file asked for truncation (norclin turns it off
    /// and chunks instead).
    pub fn had_truncation(&self) -> bool {
        self.had_truncation
    }

    /// The `tokenizer.json` bytes.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// Writes the `tokenizer.json` bytes to `path` atomically and returns
    /// their SHA-256.
    pub fn save(&self, path: &Path) -> Result<String, PathError> {
        fsio::write_atomic(path, &self.json)?;
        fsio::sha256_file(path)
    }

    /// The underlying Hugging Face tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Encodes one note's text without special tokens.
    ///
    /// Runs the tokenizer's own stages (added tokens, normalizer,
    /// pre-tokenizer, model) exactly as `Tokenizer::encode` does, but keeps
    /// only ids and word starts: no token strings or offsets are built, and
    /// the post-processor, which adds nothing without special tokens, is
    /// skipped. A word is a pre-tokenizer split, as in `Encoding::word_ids`.
    pub fn encode(&self, text: &str) -> Result<EncodedNote, String> {
        let t = &self.inner;
        let mut pre = t
            .get_added_vocabulary()
            .extract_and_normalize(t.get_normalizer(), text);
        if let Some(p) = t.get_pre_tokenizer() {
            p.pre_tokenize(&mut pre).map_err(|e| e.to_string())?;
        }
        let model = t.get_model();
        pre.tokenize(|n| model.tokenize(n.get()))
            .map_err(|e| e.to_string())?;
        let mut ids = Vec::with_capacity(text.len() / 3);
        let mut word_start = Vec::with_capacity(text.len() / 3);
        for (_, _, tokens) in pre.get_splits(OffsetReferential::Original, OffsetType::None) {
            for (k, tok) in tokens.iter().flatten().enumerate() {
                ids.push(tok.id);
                word_start.push(k == 0);
            }
        }
        let unknown = match self.unk_id {
            Some(u) => ids.iter().filter(|&&i| i == u).count() as u64,
            None => 0,
        };
        Ok(EncodedNote {
            ids,
            word_start,
            unknown,
        })
    }

    /// Encodes many texts in parallel (rayon), in order.
    pub fn encode_many(&self, texts: &[&str]) -> Result<Vec<EncodedNote>, String> {
        texts.par_iter().map(|t| self.encode(t)).collect()
    }
}

/// First code points of the two shadow ranges (supplementary private use
/// areas A and B): continuation characters of the BMP and of plane 1.
const SHADOW_BMP: u32 = 0xF0000;
const SHADOW_SMP: u32 = 0x10_0000;

/// Longest word (in characters) a trained WordPiece model splits into
/// pieces; longer ones become the unknown token.
const MAX_INPUT_CHARS_PER_WORD: usize = 100;

/// The word with every character after the first replaced by its shadow
/// (characters beyond plane 1 are left as they are).
fn shadow_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len() * 2);
    for (i, c) in word.chars().enumerate() {
        let cp = c as u32;
        let shadow = match cp {
            _ if i == 0 => None,
            0..=0xFFFD => char::from_u32(SHADOW_BMP + cp),
            0x1_0000..=0x1_FFFD => char::from_u32(SHADOW_SMP + cp - 0x1_0000),
            _ => None,
        };
        out.push(shadow.unwrap_or(c));
    }
    out
}

/// A trained piece back in WordPiece form: a piece of shadow characters
/// becomes `##` + the characters.
fn unshadow_piece(piece: &str) -> String {
    let unshadow = |c: char| -> Option<char> {
        let cp = c as u32;
        match cp {
            _ if (SHADOW_BMP..=SHADOW_BMP + 0xFFFD).contains(&cp) => {
                char::from_u32(cp - SHADOW_BMP)
            }
            _ if (SHADOW_SMP..=SHADOW_SMP + 0xFFFD).contains(&cp) => {
                char::from_u32(cp - SHADOW_SMP + 0x1_0000)
            }
            _ => None,
        }
    };
    let starts_shadowed = piece.chars().next().and_then(unshadow).is_some();
    let body: String = piece.chars().map(|c| unshadow(c).unwrap_or(c)).collect();
    if starts_shadowed {
        format!("##{body}")
    } else {
        body
    }
}

/// The `unk_token` of the model section of a `tokenizer.json`, if any.
fn unk_token(json: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let model = v.get("model")?;
    match model.get("unk_token")? {
        serde_json::Value::String(s) => Some(s.clone()),
        // Unigram stores the unknown token's id.
        serde_json::Value::Number(n) => {
            let id = n.as_u64()? as usize;
            model
                .get("vocab")?
                .get(id)?
                .get(0)?
                .as_str()
                .map(str::to_owned)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<String> {
        let base = [
            "Pasienten ble innlagt på sykehuset med brystsmerter.",
            "Hun fikk behandling på intensiven og ble utskrevet i går.",
            "Pasienten er i god allmenntilstand, og såret gror fint.",
            "Kontroll på poliklinikken om to uker. Blodprøver tas før.",
            "Pasienten var søvnig, men vaken og orientert på kvelden.",
        ];
        (0..40)
            .map(|i| format!("{} Notat {i}.", base[i % base.len()]))
            .collect()
    }

    #[test]
    fn trained_vocabulary_keeps_norwegian_letters_and_is_deterministic() {
        let a = NoteTokenizer::train(corpus().into_iter(), 300, true, 1).unwrap();
        let b = NoteTokenizer::train(corpus().into_iter(), 300, true, 1).unwrap();
        assert_eq!(a.json(), b.json());
        let enc = a.encode("PÅ sykehuset").unwrap();
        let tokens: Vec<String> = enc
            .ids
            .iter()
            .map(|&i| a.inner().id_to_token(i).unwrap())
            .collect();
        assert!(tokens.iter().any(|t| t == "på"), "{tokens:?}");
        assert_eq!(
            a.specials().prefix,
            vec![a.inner().token_to_id("[CLS]").unwrap()]
        );
        assert_eq!(
            a.specials().suffix,
            vec![a.inner().token_to_id("[SEP]").unwrap()]
        );
        let json = String::from_utf8(a.json().to_vec()).unwrap();
        assert!(json.contains("\"strip_accents\": false"), "{json}");
    }

    #[test]
    fn word_starts_mark_the_first_piece_of_each_word() {
        let t = NoteTokenizer::train(corpus().into_iter(), 120, false, 1).unwrap();
        for text in [
            "Pasienten ble innlagt. [MASK] igjen [SEP]",
            "  SØVNIG, men vaken!  ",
            "",
            "x\u{1F600}y 12,4 g/dL",
        ] {
            let enc = t.encode(text).unwrap();
            let full = t.inner().encode(text, false).unwrap();
            assert_eq!(enc.ids, full.get_ids(), "{text}");
            let words = full.get_word_ids();
            let starts: Vec<bool> = (0..words.len())
                .map(|i| words[i].is_some() && (i == 0 || words[i] != words[i - 1]))
                .collect();
            assert_eq!(enc.word_start, starts, "{text}");
        }
        let enc = t.encode("Pasienten ble innlagt.").unwrap();
        for (i, &ws) in enc.word_start.iter().enumerate() {
            let tok = t.inner().id_to_token(enc.ids[i]).unwrap();
            assert_eq!(ws, !tok.starts_with("##"), "token {tok}");
        }
    }

    #[test]
    fn truncation_in_a_loaded_file_is_turned_off() {
        let t = NoteTokenizer::train(corpus().into_iter(), 200, false, 1).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(t.json()).unwrap();
        v["truncation"] = serde_json::json!({"direction": "Right", "max_length": 4, "strategy": "LongestFirst", "stride": 0});
        let t2 = NoteTokenizer::from_json(serde_json::to_vec(&v).unwrap()).unwrap();
        assert!(t2.had_truncation());
        assert!(t2.encode(&corpus()[0]).unwrap().ids.len() > 4);
    }
}
