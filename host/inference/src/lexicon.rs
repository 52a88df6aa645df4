//! Vietnamese syllable frequencies, and the decoding step that uses them: a word the greedy CTC
//! reading puts together is re-scored against the syllables that differ from it only in their
//! marks (`tông` / `tổng` / `tống`), each scored by the recognizer's own probability of that
//! spelling over the word's frames plus the syllable's frequency in general Vietnamese text.
//!
//! The frequencies are wordfreq's `small_vi` list (PyPI `wordfreq`, built from Wikipedia,
//! subtitles, news, web text and more: independent of any page we read), fetched with the models.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use ndarray::ArrayView2;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// log10 frequency given to a word the list does not hold (names, brands, misreadings): below
/// its rarest entries (about -6), so a listed spelling wins unless the recognizer clearly prefers
/// the unlisted one.
const UNLISTED_LOG10: f32 = -7.0;

/// Weight of the language prior against the recognizer's log-probability (natural log of the
/// frequency times this). At 0.5 a syllable 10 times more frequent is worth 1.15 nats.
pub(crate) const DEFAULT_WEIGHT: f32 = 0.5;

/// Syllables by their letters without marks (`tong` -> `tổng`, `tông`, `tống`, ...), lower case,
/// each with its log10 frequency.
pub struct Lexicon {
    by_base: HashMap<String, Vec<(String, f32)>>,
    weight: f32,
}

impl Lexicon {
    /// Reads wordfreq's `small_vi.msgpack.gz`: a gzipped MessagePack array whose first element is
    /// a header (`{"format": "cB", ...}`) and whose element `i` (from 1) lists the words whose
    /// frequency is `10^(-(i-1)/100)`.
    pub fn load(path: &Path) -> Result<Lexicon> {
        let err = |e: &dyn std::fmt::Display| Error::ModelLoad(format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(|e| err(&e))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).map_err(|e| err(&e))?;
        let items: Vec<serde_json::Value> = rmp_serde::from_slice(&bytes).map_err(|e| err(&e))?;
        let format = items.first().and_then(|h| h.get("format")).and_then(|f| f.as_str());
        if format != Some("cB") {
            return Err(err(&"not a wordfreq centibel list"));
        }
        let buckets = items[1..]
            .iter()
            .map(|b| b.as_array().map(|ws| ws.iter().filter_map(|w| w.as_str().map(str::to_owned)).collect()))
            .collect::<Option<Vec<Vec<String>>>>()
            .ok_or_else(|| err(&"a frequency bucket is not a list of words"))?;
        Ok(Lexicon::from_buckets(&buckets, DEFAULT_WEIGHT))
    }

    /// Bucket `i` holds the words of log10 frequency `-i/100`. Only words made of letters are
    /// kept (one syllable each in Vietnamese).
    pub(crate) fn from_buckets(buckets: &[Vec<String>], weight: f32) -> Lexicon {
        let mut by_base: HashMap<String, Vec<(String, f32)>> = HashMap::new();
        for (i, words) in buckets.iter().enumerate() {
            for w in words {
                let w: String = w.nfc().collect::<String>().to_lowercase();
                if w.is_empty() || !w.chars().all(char::is_alphabetic) {
                    continue;
                }
                let entry = by_base.entry(base(&w)).or_default();
                if !entry.iter().any(|(s, _)| *s == w) {
                    entry.push((w, -(i as f32) / 100.0));
                }
            }
        }
        Lexicon { by_base, weight }
    }

    fn log10_freq(&self, lower: &str) -> Option<f32> {
        self.by_base.get(&base(lower))?.iter().find(|(s, _)| s == lower).map(|&(_, f)| f)
    }

    /// Re-reads each word of a greedy CTC reading (`path`: the argmax class per frame) with the
    /// spelling of best score among the listed syllables of the same letters, and returns the
    /// changed text (NFC). `class_of` maps a character to its class.
    pub(crate) fn correct(
        &self,
        log_probs: ArrayView2<'_, f32>,
        vocab: &[String],
        class_of: &HashMap<char, usize>,
        path: &[usize],
    ) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        for word in words(path, vocab) {
            let greedy: String = word.classes.iter().map(|&k| vocab[k].as_str()).collect();
            let lower = greedy.to_lowercase();
            let Some(candidates) = self.by_base.get(&base(&lower)) else { continue };
            if candidates.len() == 1 && candidates[0].0 == lower {
                continue;
            }
            let frames = log_probs.slice(ndarray::s![word.frames.0..word.frames.1, ..]);
            let ln10 = std::f32::consts::LN_10;
            let score = |text: &str, log10: f32| -> Option<f32> {
                let labels: Option<Vec<usize>> = text.chars().map(|c| class_of.get(&c).copied()).collect();
                Some(ctc_log_likelihood(frames, &labels?) + self.weight * ln10 * log10)
            };
            let Some(mut best_score) = score(&greedy, self.log10_freq(&lower).unwrap_or(UNLISTED_LOG10)) else {
                continue;
            };
            let mut best = None;
            for (cand, log10) in candidates {
                if *cand == lower {
                    continue;
                }
                let spelled = same_case(&greedy, cand);
                if let Some(s) = score(&spelled, *log10)
                    && s > best_score
                {
                    best_score = s;
                    best = Some(spelled);
                }
            }
            if let Some(b) = best {
                out.push((word.tokens.0, word.tokens.1, b));
            }
        }
        out
    }
}

/// A run of letters in a greedy CTC path: its classes, the frames it may use (up to the
/// neighbouring non-letter characters), and its place among the path's characters.
struct Word {
    classes: Vec<usize>,
    frames: (usize, usize),
    tokens: (usize, usize),
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
        out.push(Word { classes: chars[i..j].iter().map(|c| c.0).collect(), frames: (start, end), tokens: (i, j) });
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
        let n = vocab().len();
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
        let lex = Lexicon::from_buckets(&[vec![], vec!["tổng".into()], vec![], vec![], vec!["tông".into()]], 100.0);
        // "tông" with the mark frame split 0.55 ô / 0.40 ổ: the frequent "tổng" wins.
        let lp = frames(&[1, 2, 4, 5], 0.55, &[(1, 3, 0.40)]);
        let path = [1, 2, 4, 5];
        let fixes = lex.correct(lp.view(), &v, &class_of(&v), &path);
        assert_eq!(fixes, vec![(0, 4, "tổng".to_string())]);
        // The same reading with the recognizer sure of "ô": kept (no weight is that large).
        let lex = Lexicon::from_buckets(&[vec![], vec!["tổng".into()], vec![], vec![], vec!["tông".into()]], 0.5);
        let sure = frames(&[1, 2, 4, 5], 0.98, &[(1, 3, 0.0001)]);
        assert!(lex.correct(sure.view(), &v, &class_of(&v), &path).is_empty());
        // Capitals keep their case.
        let upper = frames(&[7, 8, 10, 11], 0.55, &[(1, 9, 0.40)]);
        let lex = Lexicon::from_buckets(&[vec![], vec!["tổng".into()], vec![], vec![], vec!["tông".into()]], 100.0);
        assert_eq!(lex.correct(upper.view(), &v, &class_of(&v), &[7, 8, 10, 11]), vec![(0, 4, "TỔNG".to_string())]);
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
}
