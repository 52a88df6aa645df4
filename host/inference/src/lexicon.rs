//! Word frequencies, and the decoding step that uses them: a word the greedy CTC reading puts
//! together is re-scored against listed words close to it, each scored by the recognizer's own
//! probability of that spelling over the word's frames plus the word's frequency in general text.
//!
//! - **Vietnamese**: the close words are the syllables that differ only in their marks
//!   (`tông` / `tổng` / `tống`); two neighbouring syllables that make a word of pyvi's dictionary
//!   together (`sự cố`) are worth [`COMPOUND_BONUS`] more, so an unsure mark goes to the word.
//! - **English**: the words one edit away (a letter dropped, added, changed or two swapped:
//!   `Deseription` / `Description`), for words of [`MIN_ENGLISH_WORD`] letters or more.
//!
//! The frequencies are wordfreq's lists (PyPI `wordfreq`: `small_vi`, `large_en`; built from
//! Wikipedia, subtitles, news, web text and more: independent of any page we read), fetched with
//! the models.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use ndarray::ArrayView2;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Fewest letters of a word two English words make when read as one (`wi thin`, `Round ing`):
/// shorter pairs (`N cs`, `cr csl`) are as often two real words or codes.
pub(crate) const MIN_JOINED_WORD: usize = 6;

/// What reading a space the recognizer is sure of as a gap inside a word costs, in nats (a
/// factor of about 150): letter-spaced print (`Descript ion`, `Invo ice`) joins when the word is
/// that much more likely than its two halves as words. 3, 5 and 8 made the same two changes on the
/// development sets.
pub(crate) const JOIN_GAP_COST: f32 = 5.0;

/// Shortest English word the lexicon re-spells: shorter words have too many neighbours one edit
/// away (`tbe`: `the`, `be`, `tee`, `tube` ...) for the frequencies to choose between.
pub(crate) const MIN_ENGLISH_WORD: usize = 4;

/// What two neighbouring Vietnamese syllables that make a listed word (`sửa đổi`, `sự cố`) are
/// worth together, in nats, when their marks are chosen: the marks of a syllable the recognizer
/// is unsure of go to the word its neighbour makes with it.
pub(crate) const COMPOUND_BONUS: f32 = 2.0;

/// Which words count as close to a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Same letters, other marks (and `d` / `đ`).
    Vietnamese,
    /// One edit away, ASCII letters only.
    English,
}

impl Language {
    /// Weight of the language prior against the recognizer's log-probability (natural log of
    /// the frequency times this): at 0.5 a word 10 times more frequent is worth 1.15 nats.
    /// Measured on the development sets (docs/accuracy.md): Vietnamese 0.25 / 0.5 / 1.0 first gave
    /// the same bag-of-words F1 on devset-vi (0.976; 1.0 changed a correct sign word), and measured
    /// again before the zero rule 0.75 / 1.0 read worse than 0.5 (devset vi 0.968 / 0.964 against
    /// 0.968, devset-vi 0.983 / 0.983 against 0.984); English 0.3 / 0.5 / 0.75 / 1.0 / 1.5 gave
    /// 0.755 / 0.756 / 0.762 / 0.762 / 0.762.
    pub(crate) fn weight(self) -> f32 {
        match self {
            Language::Vietnamese => 0.5,
            Language::English => 0.75,
        }
    }
}

/// Listed words, lower case, each with its log10 frequency.
pub struct Lexicon {
    language: Language,
    freq: HashMap<String, f32>,
    /// Vietnamese: the listed syllables by their letters without marks (`tong` -> `tổng`, `tông`,
    /// `tống`, ...).
    by_base: HashMap<String, Vec<String>>,
    /// log10 frequency given to a word the list does not hold (names, brands, misreadings): below
    /// its rarest entries, so a listed spelling wins unless the recognizer clearly prefers the
    /// unlisted one.
    unlisted: f32,
    weight: f32,
    /// Vietnamese: consecutive syllables of the listed words of two syllables or more (`sửa`
    /// `đổi`), lower case; empty when no word list is loaded ([`Lexicon::with_compounds`]).
    compounds: HashSet<(String, String)>,
}

impl Lexicon {
    /// Reads a wordfreq list (`small_vi.msgpack.gz`, `large_en.msgpack.gz`): a gzipped
    /// MessagePack array whose first element is a header (`{"format": "cB", ...}`) and whose
    /// element `i` (from 1) lists the words whose frequency is `10^(-(i-1)/100)`.
    pub fn load(path: &Path, language: Language) -> Result<Lexicon> {
        let err = |e: &dyn std::fmt::Display| Error::ModelLoad(format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(|e| err(&e))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).map_err(|e| err(&e))?;
        let list: WordfreqList = rmp_serde::from_slice(&bytes).map_err(|e| err(&e))?;
        if list.format.as_deref() != Some("cB") {
            return Err(err(&"not a wordfreq centibel list"));
        }
        Ok(Lexicon::from_buckets(&list.buckets, language, language.weight()))
    }

    /// Bucket `i` holds the words of log10 frequency `-i/100`. Only words made of letters are
    /// kept (one syllable each in Vietnamese; ASCII letters in English).
    pub(crate) fn from_buckets(buckets: &[Vec<String>], language: Language, weight: f32) -> Lexicon {
        let mut freq: HashMap<String, f32> = HashMap::new();
        let mut by_base: HashMap<String, Vec<String>> = HashMap::new();
        for (i, words) in buckets.iter().enumerate() {
            for w in words {
                if language == Language::English && !w.is_ascii() {
                    continue;
                }
                let w: String =
                    if w.is_ascii() { w.to_ascii_lowercase() } else { w.nfc().collect::<String>().to_lowercase() };
                let letters = match language {
                    Language::Vietnamese => w.chars().all(char::is_alphabetic),
                    Language::English => w.chars().all(|c| c.is_ascii_lowercase()),
                };
                if w.is_empty() || !letters || freq.contains_key(&w) {
                    continue;
                }
                if language == Language::Vietnamese {
                    by_base.entry(base(&w)).or_default().push(w.clone());
                }
                freq.insert(w, -(i as f32) / 100.0);
            }
        }
        let unlisted = -(buckets.len() as f32) / 100.0 - 1.0;
        Lexicon { language, freq, by_base, unlisted, weight, compounds: HashSet::new() }
    }

    /// Adds a list of Vietnamese words, one per line, syllables separated by spaces (pyvi's
    /// `words.txt`: a general dictionary, independent of any page we read): each two consecutive
    /// syllables of a word of two or more become a pair the decoder favours ([`COMPOUND_BONUS`]).
    pub fn with_compounds(mut self, path: &Path) -> Result<Lexicon> {
        let err = |e: &dyn std::fmt::Display| Error::ModelLoad(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| err(&e))?;
        self.add_compounds(text.lines());
        Ok(self)
    }

    pub(crate) fn add_compounds<'a>(&mut self, words: impl Iterator<Item = &'a str>) {
        for word in words {
            let word: String = word.nfc().collect::<String>().to_lowercase();
            let syllables: Vec<&str> = word.split_whitespace().collect();
            for pair in syllables.windows(2) {
                self.compounds.insert((pair[0].to_owned(), pair[1].to_owned()));
            }
        }
    }

    /// Whether `word` (any case, punctuation around it ignored) is a listed word.
    pub(crate) fn lists(&self, word: &str) -> bool {
        let letters: String = word.trim_matches(|c: char| !c.is_alphabetic()).nfc().collect();
        self.freq.contains_key(&letters.to_lowercase())
    }

    /// The listed words close to `lower` (a lower-case reading), other than itself.
    fn candidates(&self, lower: &str) -> Vec<&str> {
        match self.language {
            Language::Vietnamese => self
                .by_base
                .get(&base(lower))
                .map(|c| c.iter().map(String::as_str).filter(|c| *c != lower).collect())
                .unwrap_or_default(),
            Language::English => {
                if lower.chars().count() < MIN_ENGLISH_WORD || !lower.chars().all(|c| c.is_ascii_lowercase()) {
                    return Vec::new();
                }
                let mut out: Vec<&str> =
                    one_edit(lower).filter_map(|e| self.freq.get_key_value(&e).map(|(k, _)| k.as_str())).collect();
                out.sort_unstable();
                out.dedup();
                out.retain(|c| *c != lower);
                out
            }
        }
    }

    /// Re-reads each word of a greedy CTC reading (`path`: the argmax class per frame) with the
    /// spelling of best score among the listed words close to it, and returns the changed words
    /// (token range in the path's characters, text NFC). `class_of` maps a character to its class.
    ///
    /// In English, two words one space apart are also read as one word (`Invo ice`,
    /// `Descript ion`) when a listed word spelled so (or one edit from it) scores better than
    /// the two words with the space: the recognizer's probability of dropping the space against
    /// the frequency of one word instead of two.
    pub(crate) fn correct(
        &self,
        log_probs: ArrayView2<'_, f32>,
        vocab: &[String],
        class_of: &HashMap<char, usize>,
        path: &[usize],
    ) -> Vec<(usize, usize, String)> {
        let labels = |text: &str| -> Option<Vec<usize>> { text.chars().map(|c| class_of.get(&c).copied()).collect() };
        let words = words(path, vocab);
        let greedy: Vec<String> =
            words.iter().map(|w| w.classes.iter().map(|&k| vocab[k].as_str()).collect()).collect();
        let choices: Vec<Vec<(Spelling, f32)>> = words
            .iter()
            .zip(&greedy)
            .map(|(w, g)| self.spellings(log_probs.slice(ndarray::s![w.frames.0..w.frames.1, ..]), g, &labels))
            .collect();
        let space = class_of.get(&' ').copied();
        let best: Vec<Spelling> = self.chosen(choices, &words, space);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if let (Language::English, Some(space), Some(next)) = (self.language, space, words.get(i + 1))
                && words[i].tokens.1 + 1 == next.tokens.0
                && words[i].followed_by == Some(space)
            {
                let frames = log_probs.slice(ndarray::s![words[i].frames.0..next.frames.1, ..]);
                let joined = format!("{}{}", greedy[i], greedy[i + 1]);
                if let Some(one) = self.join(frames, &joined, (&best[i], &best[i + 1]), space, &labels) {
                    out.push((words[i].tokens.0, next.tokens.1, one));
                    i += 2;
                    continue;
                }
            }
            if best[i].text != greedy[i] {
                out.push((words[i].tokens.0, words[i].tokens.1, best[i].text.clone()));
            }
            i += 1;
        }
        out
    }

    /// The language prior of `lower`, in nats: the weight times the natural log of its frequency.
    fn prior(&self, lower: &str) -> f32 {
        self.weight * std::f32::consts::LN_10 * self.freq.get(lower).copied().unwrap_or(self.unlisted)
    }

    /// The spellings of the word `greedy` over its `frames`, each with its score (the
    /// recognizer's log-likelihood of it plus its prior): itself first, then the listed words
    /// close to it. Itself alone (score 0) when nothing is close or it cannot be scored.
    fn spellings(
        &self,
        frames: ArrayView2<'_, f32>,
        greedy: &str,
        labels: &dyn Fn(&str) -> Option<Vec<usize>>,
    ) -> Vec<(Spelling, f32)> {
        let lower = greedy.to_lowercase();
        let own = Spelling { text: greedy.to_owned(), prior: self.prior(&lower) };
        let candidates = self.candidates(&lower);
        let own_score = labels(greedy).filter(|_| !candidates.is_empty()).map(|l| ctc_log_likelihood(frames, &l));
        let Some(own_score) = own_score.map(|s| s + own.prior) else { return vec![(own, 0.0)] };
        let mut out = vec![(own, own_score)];
        for cand in candidates {
            let spelled = same_case(greedy, cand);
            let prior = self.prior(cand);
            if let Some(s) = labels(&spelled).map(|l| ctc_log_likelihood(frames, &l) + prior) {
                out.push((Spelling { text: spelled, prior }, s));
            }
        }
        out
    }

    /// One spelling per word: the best scoring of each, where two neighbouring syllables (one
    /// space apart) also score [`COMPOUND_BONUS`] when they make a listed word together (the
    /// best path through each run of neighbours; the first of equal scores, so the reading as
    /// read is kept on a tie).
    fn chosen(&self, choices: Vec<Vec<(Spelling, f32)>>, words: &[Word], space: Option<usize>) -> Vec<Spelling> {
        let pair = |a: &Spelling, b: &Spelling| {
            let key = (a.text.to_lowercase(), b.text.to_lowercase());
            if self.compounds.contains(&key) { COMPOUND_BONUS } else { 0.0 }
        };
        let next_to = |i: usize| {
            !self.compounds.is_empty()
                && space.is_some()
                && words[i].followed_by == space
                && words.get(i + 1).is_some_and(|n| words[i].tokens.1 + 1 == n.tokens.0)
        };
        let mut out: Vec<Spelling> = Vec::with_capacity(choices.len());
        // Viterbi over each run of neighbours: (score, choice of the word before) per choice.
        let mut run: Vec<Vec<(f32, usize)>> = Vec::new();
        let mut run_choices: Vec<Vec<(Spelling, f32)>> = Vec::new();
        for (i, cs) in choices.into_iter().enumerate() {
            let scores: Vec<(f32, usize)> = match (run.last(), run_choices.last()) {
                (Some(prev), Some(prev_cs)) => cs
                    .iter()
                    .map(|(c, s)| {
                        let mut best = (f32::NEG_INFINITY, 0);
                        for (k, ((p, _), (pc, _))) in prev.iter().zip(prev_cs).enumerate() {
                            let v = p + pair(pc, c);
                            if v > best.0 {
                                best = (v, k);
                            }
                        }
                        (best.0 + s, best.1)
                    })
                    .collect(),
                _ => cs.iter().map(|(_, s)| (*s, 0)).collect(),
            };
            run.push(scores);
            run_choices.push(cs);
            if !next_to(i) {
                out.extend(best_path(&mut run, &mut run_choices));
            }
        }
        out
    }

    /// The listed word that two words one space apart make (`joined`: their greedy letters without
    /// the space), when it scores better over both words' `frames` than the two words' best
    /// spellings with the space between.
    fn join(
        &self,
        frames: ArrayView2<'_, f32>,
        joined: &str,
        (a, b): (&Spelling, &Spelling),
        space: usize,
        labels: &dyn Fn(&str) -> Option<Vec<usize>>,
    ) -> Option<String> {
        let lower = joined.to_lowercase();
        if lower.chars().count() < MIN_JOINED_WORD {
            return None;
        }
        let mut candidates = self.candidates(&lower);
        let parts = format!("{}{}", a.text, b.text).to_lowercase();
        for listed in [&lower, &parts] {
            if let Some((word, _)) = self.freq.get_key_value(listed.as_str())
                && !candidates.contains(&word.as_str())
            {
                candidates.push(word);
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let mut split = labels(&a.text)?;
        split.push(space);
        split.extend(labels(&b.text)?);
        let split_ctc = ctc_log_likelihood(frames, &split);
        let mut best_score = split_ctc + a.prior + b.prior;
        let mut best = None;
        for cand in candidates {
            let spelled = same_case(joined, cand);
            let Some(l) = labels(&spelled) else { continue };
            let mut ctc = ctc_log_likelihood(frames, &l);
            if cand == parts {
                // The space the recognizer saw may be a wide gap inside the word (letter-spaced
                // print), at a fixed cost.
                ctc = ctc.max(split_ctc - JOIN_GAP_COST);
            }
            let score = ctc + self.prior(cand);
            if score > best_score {
                best_score = score;
                best = Some(spelled);
            }
        }
        best
    }
}

/// A wordfreq list as stored: a header (`{"format": "cB", ...}`), then the buckets of words,
/// read straight into strings (a generic MessagePack value tree of 300 000 words takes several
/// times the time and memory).
struct WordfreqList {
    format: Option<String>,
    buckets: Vec<Vec<String>>,
}

impl<'de> serde::Deserialize<'de> for WordfreqList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = WordfreqList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a header, then lists of words")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<WordfreqList, A::Error> {
                let header: HashMap<String, serde_json::Value> =
                    seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let mut buckets = Vec::new();
                while let Some(words) = seq.next_element::<Vec<String>>()? {
                    buckets.push(words);
                }
                let format = header.get("format").and_then(|f| f.as_str()).map(str::to_owned);
                Ok(WordfreqList { format, buckets })
            }
        }
        d.deserialize_seq(Items)
    }
}

/// The spellings on the best path through a run of words' scores (`run[j][c]`: the best score of
/// a path ending in choice `c` of word `j`, and the choice of word `j - 1` it came from); empties
/// both.
fn best_path(run: &mut Vec<Vec<(f32, usize)>>, choices: &mut Vec<Vec<(Spelling, f32)>>) -> Vec<Spelling> {
    let mut at = run.last().map_or(0, |last| {
        let mut best = 0;
        for (c, (s, _)) in last.iter().enumerate() {
            if *s > last[best].0 {
                best = c;
            }
        }
        best
    });
    let mut picked = vec![0; run.len()];
    for j in (0..run.len()).rev() {
        picked[j] = at;
        at = run[j][at].1;
    }
    let out = choices.drain(..).zip(picked).map(|(mut cs, c)| cs.swap_remove(c).0).collect();
    run.clear();
    out
}

/// A word's spelling and its language prior in nats.
struct Spelling {
    text: String,
    prior: f32,
}

/// A run of letters in a greedy CTC path: its classes, the frames it may use (up to the
/// neighbouring non-letter characters), its place among the path's characters, and the class of
/// the character after it.
struct Word {
    classes: Vec<usize>,
    frames: (usize, usize),
    tokens: (usize, usize),
    followed_by: Option<usize>,
}

/// The letter runs of `path` (argmax class per frame, 0 = blank).
fn words(path: &[usize], vocab: &[String]) -> Vec<Word> {
    // Characters of the path: (class, first frame, last frame).
    let mut chars: Vec<(usize, usize, usize)> = Vec::new();
    let mut prev = 0;
    for (t, &k) in path.iter().enumerate() {
        if k != 0 && k == prev {
            if let Some(last) = chars.last_mut() {
                last.2 = t;
            }
        } else if k != 0 {
            chars.push((k, t, t));
        }
        prev = k;
    }
    let is_letter = |k: usize| vocab.get(k).is_some_and(|s| !s.is_empty() && s.chars().all(char::is_alphabetic));
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_letter(chars[i].0) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_letter(chars[j].0) {
            j += 1;
        }
        let start = if i == 0 { 0 } else { chars[i - 1].2 + 1 };
        let end = if j == chars.len() { path.len() } else { chars[j].1 };
        out.push(Word {
            classes: chars[i..j].iter().map(|c| c.0).collect(),
            frames: (start, end),
            tokens: (i, j),
            followed_by: chars.get(j).map(|c| c.0),
        });
        i = j;
    }
    out
}

/// `word`'s letters without their marks, lower case (`Tổng` -> `tong`, `đổi` -> `doi`).
fn base(word: &str) -> String {
    word.to_lowercase()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
}

/// Every string one edit from `word` over the ASCII lower-case letters: a letter dropped, two
/// neighbours swapped, a letter changed or one added (with repeats; the caller looks each up).
fn one_edit(word: &str) -> impl Iterator<Item = String> + '_ {
    let w = word.as_bytes();
    let n = w.len();
    let with = move |at: usize, drop: usize, put: Option<u8>| {
        let mut s = Vec::with_capacity(n + 1);
        s.extend_from_slice(&w[..at]);
        s.extend(put);
        s.extend_from_slice(&w[(at + drop).min(n)..]);
        String::from_utf8(s).unwrap_or_default()
    };
    let deletes = (0..n).map(move |i| with(i, 1, None));
    let swaps = (0..n.saturating_sub(1)).map(move |i| {
        let mut s = w.to_vec();
        s.swap(i, i + 1);
        String::from_utf8(s).unwrap_or_default()
    });
    let changes = (0..n).flat_map(move |i| (b'a'..=b'z').filter(move |&c| c != w[i]).map(move |c| with(i, 1, Some(c))));
    let inserts = (0..=n).flat_map(move |i| (b'a'..=b'z').map(move |c| with(i, 0, Some(c))));
    deletes.chain(swaps).chain(changes).chain(inserts)
}

/// `lower` in the case pattern of `like`: all capitals, a capital first, or lower case.
fn same_case(like: &str, lower: &str) -> String {
    let letters: Vec<char> = like.chars().collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        lower.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut cs = lower.chars();
        cs.next().map(|f| f.to_uppercase().chain(cs).collect()).unwrap_or_default()
    } else {
        lower.to_owned()
    }
}

/// log P(labels | frames) under CTC (blank = class 0): the forward algorithm in log space.
fn ctc_log_likelihood(frames: ArrayView2<'_, f32>, labels: &[usize]) -> f32 {
    let t_len = frames.nrows();
    let s_len = 2 * labels.len() + 1;
    if t_len == 0 {
        return if labels.is_empty() { 0.0 } else { f32::NEG_INFINITY };
    }
    let ext = |s: usize| if s.is_multiple_of(2) { 0 } else { labels[s / 2] };
    let lse = |a: f32, b: f32| {
        if a == f32::NEG_INFINITY {
            b
        } else if b == f32::NEG_INFINITY {
            a
        } else {
            a.max(b) + (-(a - b).abs()).exp().ln_1p()
        }
    };
    let mut alpha = vec![f32::NEG_INFINITY; s_len];
    alpha[0] = frames[[0, 0]];
    if s_len > 1 {
        alpha[1] = frames[[0, ext(1)]];
    }
    let mut next = vec![f32::NEG_INFINITY; s_len];
    for t in 1..t_len {
        for s in 0..s_len {
            let mut a = alpha[s];
            if s >= 1 {
                a = lse(a, alpha[s - 1]);
            }
            if s >= 2 && ext(s) != 0 && ext(s) != ext(s - 2) {
                a = lse(a, alpha[s - 2]);
            }
            next[s] = a + frames[[t, ext(s)]];
        }
        std::mem::swap(&mut alpha, &mut next);
    }
    if s_len > 1 { lse(alpha[s_len - 1], alpha[s_len - 2]) } else { alpha[0] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn vocab() -> Vec<String> {
        ["<blank>", "t", "ô", "ổ", "n", "g", " ", "T", "Ô", "Ổ", "N", "G"].iter().map(|s| s.to_string()).collect()
    }

    fn class_of(v: &[String]) -> HashMap<char, usize> {
        v.iter().enumerate().skip(1).map(|(i, s)| (s.chars().next().unwrap(), i)).collect()
    }

    /// Frames reading `seq` with probability `p`, where `alt` (frame, class, prob) puts some
    /// weight on another class.
    fn frames(seq: &[usize], p: f32, alt: &[(usize, usize, f32)]) -> Array2<f32> {
        frames_of(vocab().len(), seq, p, alt)
    }

    fn frames_of(n: usize, seq: &[usize], p: f32, alt: &[(usize, usize, f32)]) -> Array2<f32> {
        let mut a = Array2::from_elem((seq.len(), n), ((1.0 - p) / (n - 1) as f32).ln());
        for (t, &k) in seq.iter().enumerate() {
            a[[t, k]] = p.ln();
        }
        for &(t, k, q) in alt {
            a[[t, k]] = q.ln();
        }
        a
    }

    #[test]
    fn base_drops_marks_and_the_bar_of_d() {
        assert_eq!(base("Tổng"), "tong");
        assert_eq!(base("đổi"), "doi");
        assert_eq!(base("ĐƯỜNG"), "duong");
        assert_eq!(same_case("TÔNG", "tổng"), "TỔNG");
        assert_eq!(same_case("Tông", "tổng"), "Tổng");
        assert_eq!(same_case("tông", "tổng"), "tổng");
    }

    #[test]
    fn the_forward_algorithm_sums_every_alignment() {
        // Two frames, one label: "a" can be (a,a), (a,-), (-,a).
        let lp = Array2::from_shape_vec((2, 2), vec![0.4f32.ln(), 0.6f32.ln(), 0.3f32.ln(), 0.7f32.ln()]).unwrap();
        let got = ctc_log_likelihood(lp.view(), &[1]).exp();
        let want = 0.6 * 0.7 + 0.6 * 0.3 + 0.4 * 0.7;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        // A repeated label needs a blank between: "aa" in 2 frames is impossible.
        assert_eq!(ctc_log_likelihood(lp.view(), &[1, 1]), f32::NEG_INFINITY);
    }

    #[test]
    fn an_uncertain_mark_takes_the_more_frequent_syllable() {
        let v = vocab();
        // Where wordfreq's `small_vi` lists them (bucket i: log10 frequency -i/100): `tổng` 307,
        // `tông` 382. At the weight the engine loads the list with, that is worth 0.86 nats to `tổng`.
        let mut buckets = vec![Vec::new(); 400];
        buckets[307] = vec!["tổng".to_owned()];
        buckets[382] = vec!["tông".to_owned()];
        let lex = Lexicon::from_buckets(&buckets, Language::Vietnamese, Language::Vietnamese.weight());
        let path = [1, 2, 4, 5];
        // "tông" with the mark frame split 0.55 ô / 0.40 ổ: the frequent "tổng" wins...
        let unsure = frames(&path, 0.55, &[(1, 3, 0.40)]);
        assert_eq!(lex.correct(unsure.view(), &v, &class_of(&v), &path), vec![(0, 4, "tổng".to_string())]);
        // ...where the recognizer's probabilities alone keep "tông".
        let no_prior = Lexicon::from_buckets(&buckets, Language::Vietnamese, 0.0);
        assert!(no_prior.correct(unsure.view(), &v, &class_of(&v), &path).is_empty());
        // The recognizer fairly sure of "ô" (0.75 / 0.20): kept; the frequencies only tip close calls.
        let fairly_sure = frames(&path, 0.75, &[(1, 3, 0.20)]);
        assert!(lex.correct(fairly_sure.view(), &v, &class_of(&v), &path).is_empty());
        // Capitals keep their case.
        let upper = frames(&[7, 8, 10, 11], 0.55, &[(1, 9, 0.40)]);
        assert_eq!(lex.correct(upper.view(), &v, &class_of(&v), &[7, 8, 10, 11]), vec![(0, 4, "TỔNG".to_string())]);
    }

    #[test]
    fn an_uncertain_mark_takes_the_syllable_that_makes_a_listed_word_with_its_neighbour() {
        // "sự cổ" read with the mark of the second syllable split 0.55 hỏi / 0.40 sắc, both
        // syllables equally frequent: the recognizer alone keeps "cổ"; with "sự cố" a listed word,
        // the neighbour takes "cố".
        let v: Vec<String> = ["<blank>", "s", "ự", "c", "ổ", "ố", " ", ","].iter().map(|s| s.to_string()).collect();
        let mut buckets = vec![Vec::new(); 400];
        buckets[300] = vec!["sự".to_owned(), "cổ".to_owned(), "cố".to_owned()];
        let path = [1, 2, 6, 3, 4];
        let unsure = frames_of(v.len(), &path, 0.55, &[(4, 5, 0.40)]);
        let mut lex = Lexicon::from_buckets(&buckets, Language::Vietnamese, Language::Vietnamese.weight());
        assert!(lex.correct(unsure.view(), &v, &class_of(&v), &path).is_empty());
        lex.add_compounds(["sự cố", "sự kiện"].into_iter());
        assert_eq!(lex.correct(unsure.view(), &v, &class_of(&v), &path), vec![(3, 5, "cố".to_string())]);
        // A mark the recognizer is sure of (0.95 / 0.03) is kept: the word is worth 2 nats, not more.
        let sure = frames_of(v.len(), &path, 0.95, &[(4, 5, 0.03)]);
        assert!(lex.correct(sure.view(), &v, &class_of(&v), &path).is_empty());
        // Syllables not one space apart make no word together (`sự, cổ`).
        let apart = [1, 2, 7, 6, 3, 4];
        let unsure_apart = frames_of(v.len(), &apart, 0.55, &[(5, 5, 0.40)]);
        assert!(lex.correct(unsure_apart.view(), &v, &class_of(&v), &apart).is_empty());
    }

    #[test]
    fn words_are_the_letter_runs_between_other_characters() {
        let v = vocab();
        // "tô ng": blank, t, t, ô, space, n, blank, g
        let w = words(&[0, 1, 1, 2, 6, 4, 0, 5], &v);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].classes.clone(), w[0].frames, w[0].tokens), (vec![1, 2], (0, 4), (0, 2)));
        assert_eq!((w[1].classes.clone(), w[1].frames, w[1].tokens), (vec![4, 5], (5, 8), (3, 5)));
    }

    #[test]
    fn an_english_misreading_one_edit_from_a_frequent_word_is_re_spelled() {
        let v: Vec<String> =
            std::iter::once("<blank>".to_owned()).chain(('a'..='z').chain('A'..='Z').map(String::from)).collect();
        let co = class_of(&v);
        let classes = |s: &str| s.chars().map(|c| co[&c]).collect::<Vec<usize>>();
        let mut buckets = vec![Vec::new(); 800];
        buckets[450] = vec!["description".to_owned(), "the".to_owned()];
        buckets[700] = vec!["deseription".to_owned()];
        let lex = Lexicon::from_buckets(&buckets, Language::English, Language::English.weight());
        // "Deseription", its fourth letter 0.55 `s` / 0.40 `c`: the listed word wins.
        let path = classes("Deseription");
        let lp = frames_of(v.len(), &path, 0.55, &[(3, co[&'c'], 0.40)]);
        assert_eq!(lex.correct(lp.view(), &v, &co, &path), vec![(0, 11, "Description".to_owned())]);
        // Capitals stay capitals.
        let path = classes("DESERIPTION");
        let lp = frames_of(v.len(), &path, 0.55, &[(3, co[&'C'], 0.40)]);
        assert_eq!(lex.correct(lp.view(), &v, &co, &path), vec![(0, 11, "DESCRIPTION".to_owned())]);
        // The recognizer sure of its letters: kept, listed or not.
        let path = classes("Deseription");
        let sure = frames_of(v.len(), &path, 0.999, &[]);
        assert!(lex.correct(sure.view(), &v, &co, &path).is_empty());
        // Short words are never re-spelled: `tbe` stays, however unsure.
        let path = classes("tbe");
        let lp = frames_of(v.len(), &path, 0.5, &[(1, co[&'h'], 0.45)]);
        assert!(lex.correct(lp.view(), &v, &co, &path).is_empty());
    }

    #[test]
    fn one_edit_drops_swaps_changes_and_adds_a_letter() {
        let edits: std::collections::HashSet<String> = one_edit("form").collect();
        for e in ["orm", "from", "fort", "forms", "aform"] {
            assert!(edits.contains(e), "{e}");
        }
        assert!(!edits.contains("form"), "the word itself");
        assert!(!edits.contains("farms"), "two edits away");
        assert_eq!(edits.iter().filter(|e| e.len() == 5).count(), 5 * 26 - 4, "inserts, the doubled letters once");
    }

    #[test]
    fn two_english_words_one_space_apart_are_read_as_the_listed_word_they_make() {
        let v: Vec<String> = ["<blank>".to_owned(), " ".to_owned()]
            .into_iter()
            .chain(('a'..='z').chain('A'..='Z').map(String::from))
            .collect();
        let co = class_of(&v);
        let classes = |s: &str| s.chars().map(|c| co[&c]).collect::<Vec<usize>>();
        let mut buckets = vec![Vec::new(); 800];
        buckets[400] = vec!["rounding".to_owned(), "round".to_owned()];
        buckets[500] = vec!["ing".to_owned(), "sun".to_owned()];
        let lex = Lexicon::from_buckets(&buckets, Language::English, Language::English.weight());
        // "Round ing", the space frame 0.6 space / 0.35 blank: one word.
        let path = classes("Round ing");
        let lp = frames_of(v.len(), &path, 0.9, &[(5, co[&' '], 0.6), (5, 0, 0.35)]);
        assert_eq!(lex.correct(lp.view(), &v, &co, &path), vec![(0, 9, "Rounding".to_owned())]);
        // A sure space: a gap inside the word when `ing` is rare as a word of its own...
        let sure = frames_of(v.len(), &path, 0.999, &[]);
        assert_eq!(lex.correct(sure.view(), &v, &co, &path), vec![(0, 9, "Rounding".to_owned())]);
        // ...but two words when both halves are as common as words.
        buckets[200] = vec!["round".to_owned()];
        buckets[300] = vec!["ing".to_owned()];
        buckets[500].clear();
        let lex = Lexicon::from_buckets(&buckets, Language::English, Language::English.weight());
        assert!(lex.correct(sure.view(), &v, &co, &path).is_empty());
        // Too short to join, however unsure the space.
        let mut buckets = vec![Vec::new(); 800];
        buckets[400] = vec!["ncs".to_owned()];
        let lex = Lexicon::from_buckets(&buckets, Language::English, Language::English.weight());
        let path = classes("N cs");
        let lp = frames_of(v.len(), &path, 0.9, &[(1, co[&' '], 0.5), (1, 0, 0.45)]);
        assert!(lex.correct(lp.view(), &v, &co, &path).is_empty());
    }
}
