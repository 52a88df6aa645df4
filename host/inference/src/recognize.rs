//! Line recognition shared by every reader: perspective crops, width-bucketed batches, greedy
//! CTC decoding, and the rules that tidy a reading.

use image::{Rgb, RgbImage, imageops::FilterType};
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use ndarray::ArrayView2;
use std::collections::HashMap;

use ocr_core::{Quad, geometry::dist};
use unicode_normalization::UnicodeNormalization;

use crate::lexicon::Lexicon;

/// Height of asternet's input, the height [`crop_line`] gives and the one the pixel constants
/// here are measured at.
pub(crate) const LINE_HEIGHT: u32 = 32;
/// Widest line crop, at 32 px high (proportionally wider at a taller reader's height) (about 1000 characters of ordinary print; a reader reads a
/// crop wider than it takes in pieces, [`crate::pieces`]): a longer line is squeezed to this
/// width, so a reviewer's absurd 10000x3 box costs at most 16 pieces, not a 100000-pixel crop.
pub(crate) const MAX_LINE_WIDTH: u32 = 16384;
/// Lines per recognizer call.
pub(crate) const MAX_BATCH: usize = 16;
/// Crops are padded on the right to a multiple of this width, and only crops of equal padded
/// width share a batch. The recognizer's sequence layers see the whole row, so any padding a
/// batch added would change what it reads; padding every crop the same way whether it is
/// batched or not keeps batched output identical to one-at-a-time output.
pub(crate) const WIDTH_STEP: u32 = 32;

/// Input width for a crop of `w` x `h` scaled to `height`: aspect kept, at least `height`, a
/// multiple of `per_frame` (whole frames of the reader).
pub(crate) fn line_width(w: f32, h: f32, height: u32, per_frame: u32) -> u32 {
    let w = (w * height as f32 / h.max(1.0)).max(0.0) as u32;
    (w.max(height).div_ceil(per_frame) * per_frame).min(MAX_LINE_WIDTH * height / LINE_HEIGHT)
}

/// Width a crop is padded to before it goes to the model.
pub(crate) fn padded_width(w: u32) -> u32 {
    w.div_ceil(WIDTH_STEP) * WIDTH_STEP
}

/// The line under `quad`, straightened by a perspective warp and scaled to height 32: exactly
/// what asternet reads (before the right padding a batch adds).
pub fn crop_line(page: &RgbImage, quad: &Quad) -> RgbImage {
    crop_line_at(page, quad, LINE_HEIGHT, 4)
}

/// [`crop_line`] at a reader's own `height`, `per_frame` columns to its output frames.
pub(crate) fn crop_line_at(page: &RgbImage, quad: &Quad, height: u32, per_frame: u32) -> RgbImage {
    // Corners a pixel inside the page at least: bilinear sampling at the page's edge blends the
    // warp's white fill into the crop's border, which is where its ground colour is read (a
    // whole-image box on a white-on-blue sign then looked like dark ink on a light ground).
    let inside =
        |v: f32, size: u32| v.clamp(1.0_f32.min(size as f32 / 2.0), (size as f32 - 2.0).max(size as f32 / 2.0));
    let clamped = quad.map(|[x, y]| [inside(x, page.width()), inside(y, page.height())]);
    let quad = &clamped;
    let w = dist(quad[0], quad[1]).max(dist(quad[3], quad[2])).round().max(1.0);
    let h = dist(quad[0], quad[3]).max(dist(quad[1], quad[2])).round().max(1.0);
    let target_w = line_width(w, h, height, per_frame);
    // Warp at (at most) native resolution, then resize with a proper filter: bilinear sampling
    // alone would alias when a tall line shrinks to 32 px. Never at more than 4 times the
    // crop's own scale: a box over a whole page is not warped at full page size.
    let crop_scale = (target_w as f32 / w).max(height as f32 / h);
    let scale = crop_scale.max(1.0).min(4.0 * crop_scale);
    let (nw, nh) = ((w * scale) as u32, (h * scale) as u32);
    let (nw, nh) = (nw.clamp(1, 4 * MAX_LINE_WIDTH), nh.clamp(1, 16 * height));
    let from = quad.map(|[x, y]| (x, y));
    let to = [(0.0, 0.0), (nw as f32, 0.0), (nw as f32, nh as f32), (0.0, nh as f32)];
    let mut native = RgbImage::new(nw, nh);
    match Projection::from_control_points(from, to) {
        Some(p) => warp_into(page, &p, Interpolation::Bilinear, Rgb([255, 255, 255]), &mut native),
        // Degenerate quad (zero area): nothing to read.
        None => native.fill(255),
    }
    dark_on_light(image::imageops::resize(&native, target_w, height, FilterType::Triangle))
}

fn luma(p: &Rgb<u8>) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Light letters on a dark or coloured ground (shop signs, white on red) become dark letters
/// on a light ground, the way the recognizer reads: the crop's border is its ground, so when the
/// border is darker than the crop as a whole, the ink is lighter than the ground and the crop
/// is turned into its inverted grey image. Dark print on paper passes unchanged.
fn dark_on_light(line: RgbImage) -> RgbImage {
    let ground = luma(&background(&line));
    let mean = line.pixels().map(luma).sum::<f32>() / (line.width() * line.height()).max(1) as f32;
    // A margin, so a flat crop (nothing but ground) is not flipped back and forth by noise.
    if mean <= ground + POLARITY_MARGIN {
        return line;
    }
    let mut out = line;
    for p in out.pixels_mut() {
        let v = 255 - luma(p).round().clamp(0.0, 255.0) as u8;
        *p = Rgb([v, v, v]);
    }
    out
}

/// Grey levels by which a crop's mean must exceed its ground's before it counts as light
/// letters on a dark ground.
const POLARITY_MARGIN: f32 = 8.0;

/// The colour of the crop's border (per-channel median of its outermost rows and columns):
/// paper for dark print, the sign's colour for light letters.
pub(crate) fn background(line: &RgbImage) -> Rgb<u8> {
    let (w, h) = line.dimensions();
    let border = (0..w).flat_map(|x| [(x, 0), (x, h - 1)]).chain((1..h - 1).flat_map(|y| [(0, y), (w - 1, y)]));
    let mut channels: [Vec<u8>; 3] = Default::default();
    for (x, y) in border {
        let p = line.get_pixel(x, y);
        for c in 0..3 {
            channels[c].push(p[c]);
        }
    }
    Rgb(channels.map(|mut v| {
        let mid = v.len() / 2;
        *v.select_nth_unstable(mid).1
    }))
}

/// Groups line indices into batches of equal padded width, at most `max_batch` each.
pub(crate) fn buckets(widths: &[u32], max_batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&i| (padded_width(widths[i]), i));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match out.last_mut() {
            Some(b) if b.len() < max_batch && padded_width(widths[i]) == padded_width(widths[b[0]]) => b.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Which classes an English reading may use: the shared Vietnamese + English model can emit
/// `ơ`, `ạ` or `Ê` where English print has `o`, `a` or `E` ("Sdn Bhd" read as "Sơn Bhd"), so for
/// English the letters outside ASCII are masked out of the decoding; symbols (`°`) stay.
pub(crate) fn english_classes(vocab: &[String]) -> Vec<bool> {
    vocab.iter().map(|s| s.chars().all(|c| c.is_ascii() || !c.is_alphabetic())).collect()
}

/// English words the recognizer mixed up (`B0OK`, `Leve1`, `1tem`, `TotaI`): a single digit
/// among 2 letters or more that looks like a letter (`0` `1` `5` `8`) becomes that letter when
/// it sits between two letters or at the word's edge beside a lower-case one (`NO.1`, the codes
/// `XR5`, `AB12C5` and quantities `1TB` stay), and a word of 3 letters or more with one letter
/// after the first in the other case than at least two others takes their case (`I` and `l`
/// trade places); the first letter stays (`Total`). Codes with more digits (`M4980302`,
/// `SS21/39`, `F21`), Title case, one-case words, camel case (`iPhone`) and words with one
/// letter of each case after the first (`kWh`, `MHz`, `PhD`) are left alone. Only for asternet's
/// English readings ([`crate::Rules::tidy_english`]).
pub(crate) fn tidy_english(line: &str) -> String {
    line.split(' ').map(tidy_english_word).collect::<Vec<_>>().join(" ")
}

fn tidy_english_word(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let letters = chars.iter().filter(|c| c.is_alphabetic()).count();
    let digits: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_ascii_digit()).collect();
    let upper = chars.iter().filter(|c| c.is_uppercase()).count();
    let beside_a_letter = |d: usize| {
        [d.checked_sub(1), Some(d + 1)].into_iter().flatten().any(|i| chars.get(i).is_some_and(|c| c.is_alphabetic()))
    };
    // A digit at a word's edge beside capitals is a code or a quantity (`XR5`, `1TB`), not a
    // slip: only a digit between two letters, or at an edge beside a lower-case letter, is one.
    let slip = |d: usize| {
        let letter = |i: Option<usize>| i.and_then(|i| chars.get(i)).filter(|c| c.is_alphabetic());
        match (letter(d.checked_sub(1)), letter(Some(d + 1))) {
            (Some(_), Some(_)) => true,
            (Some(c), None) | (None, Some(c)) => c.is_lowercase(),
            (None, None) => false,
        }
    };
    if let [d] = digits[..]
        && letters >= 2
        && beside_a_letter(d)
        && slip(d)
    {
        let as_upper = 2 * upper >= letters;
        let at_start = chars[..d].iter().all(|c| !c.is_alphanumeric());
        chars[d] = match (chars[d], as_upper) {
            ('0', true) => 'O',
            ('0', false) => 'o',
            ('1', false) if !at_start => 'l',
            ('1', _) => 'I',
            ('5', true) => 'S',
            ('5', false) => 's',
            ('8', _) if as_upper => 'B',
            (c, _) => c,
        };
    }
    let letter_at: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_alphabetic()).collect();
    if letter_at.len() >= 3 && chars.iter().all(|c| !c.is_ascii_digit()) {
        // One letter after the first in the other case than the rest of them: a lower-case slip
        // in a capital word anywhere (`INVOlCE`), a capital slip in a lower-case word only at its
        // end (`TotaI`, `TaX`), since a capital inside is how `iPhone` or `McDonald` are spelled.
        let rest = &letter_at[1..];
        let up: Vec<usize> = rest.iter().copied().filter(|&i| chars[i].is_uppercase()).collect();
        let low: Vec<usize> = rest.iter().copied().filter(|&i| chars[i].is_lowercase()).collect();
        // One of each after the first letter (`kWh`, `MHz`, `PhD`) is how units and titles are
        // spelled: no evidence of a slip, left as read.
        let to_upper = match (up.len(), low.len()) {
            (_, 1) if up.len() >= 2 => Some(true),
            (1, l) if l >= 2 && up[0] == *rest.last().unwrap_or(&0) => Some(false),
            _ => None,
        };
        if let Some(to_upper) = to_upper {
            for &i in rest {
                chars[i] = match (chars[i], to_upper) {
                    ('I', false) => 'l',
                    ('l', true) => 'I',
                    (c, true) => c.to_uppercase().next().unwrap_or(c),
                    (c, false) => c.to_lowercase().next().unwrap_or(c),
                };
            }
        }
    }
    chars.into_iter().collect()
}

/// Share of a page's words that must carry a Vietnamese letter for `lang=auto` to read the page
/// as Vietnamese. Measured on the development sets' unmasked readings: English pages 0-12 %
/// (letters the shared model slips in), Vietnamese pages 60-92 %.
pub(crate) const AUTO_VIETNAMESE_PAGE_SHARE: f32 = 0.25;

/// Lines `auto` reads with the Vietnamese reader to decide a page's language: every line of a
/// page of up to this many, else this many spread evenly over the page (detection order runs
/// top to bottom). About 80 words of a receipt: the language shows in any few of them.
pub(crate) const AUTO_SAMPLE_LINES: usize = 12;

/// A Vietnamese line whose mean character confidence is under this is read again by the second
/// reader (trueocr).
pub(crate) const SECOND_READER_BELOW: f32 = 0.9;
/// How much more confident (mean character confidence) the second reader's reading must be to
/// replace the first's.
pub(crate) const SECOND_READER_MARGIN: f32 = 0.0;

/// The lines of a page of `n` that `auto` samples ([`AUTO_SAMPLE_LINES`]), in order.
pub(crate) fn auto_sample(n: usize) -> Vec<usize> {
    if n <= AUTO_SAMPLE_LINES {
        return (0..n).collect();
    }
    (0..AUTO_SAMPLE_LINES).map(|k| k * n / AUTO_SAMPLE_LINES + n / (2 * AUTO_SAMPLE_LINES)).collect()
}

/// Whether lines read (unmasked) as `readings` make a Vietnamese page: at least
/// [`AUTO_VIETNAMESE_PAGE_SHARE`] of their words carry a Vietnamese letter, or they hold fewer
/// than 3 words (no evidence: the Vietnamese reader reads both languages).
pub(crate) fn page_reads_vietnamese(readings: &[&str]) -> bool {
    let (vi, all) = readings.iter().map(|t| vietnamese_words(t)).fold((0, 0), |(v, a), (lv, la)| (v + lv, a + la));
    all < 3 || vi as f32 >= AUTO_VIETNAMESE_PAGE_SHARE * all as f32
}

/// Whether one line's unmasked reading is Vietnamese by itself: 3 words or more, half of them
/// with Vietnamese letters and, with the Vietnamese `syllables` list, half of them listed
/// syllables (an address on an English receipt, `Số 5 đường Lê Lợi`, not an English line the
/// model slipped marks into, `STRICILY NÓ CÀSH REFÙND`).
pub(crate) fn line_reads_vietnamese(text: &str, syllables: Option<&Lexicon>) -> bool {
    let (vi, all) = vietnamese_words(text);
    let words: Vec<&str> = text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).collect();
    let listed = syllables.is_none_or(|l| 2 * words.iter().filter(|w| l.lists(w)).count() >= words.len());
    all >= 3 && 2 * vi >= all && listed
}

/// `lang=auto` with one reader for both languages: which lines of a page take their English
/// reading. `readings` holds each line's unmasked reading (all classes). On a Vietnamese page
/// ([`page_reads_vietnamese`]) every line keeps its unmasked reading; on an English page a line
/// keeps it only when it reads as Vietnamese by itself ([`line_reads_vietnamese`]).
pub(crate) fn auto_english_lines(readings: &[&str], syllables: Option<&Lexicon>) -> Vec<bool> {
    if page_reads_vietnamese(readings) {
        return vec![false; readings.len()];
    }
    readings.iter().map(|text| !line_reads_vietnamese(text, syllables)).collect()
}

/// Character confidence below which asternet is not sure of a character: its sure readings of
/// clean print sit at 0.99 and above (the rendered rule pages: every character of every line),
/// its look-alike slips on them just under (`MH2` for `MHz`: the `2` at 0.98; `0` for `O`: 0.92).
pub(crate) const SURE: f32 = 0.99;

/// Whether a reading holds a word asternet may have spelled with a look-alike and is not sure
/// of ([`SURE`]): a word without Vietnamese letters that mixes letters and digits (`MH2` for
/// `MHz`, `XR-2O45`), a lone `0` or `O` (a zero or the letter), or any other lone Latin letter
/// (a quantity `1` alone in its column read `L`: one glyph has no neighbours in its line to
/// tell a letter from a digit). The English reader reads such words better (its training text
/// is full of codes, units and figures); on a Vietnamese page they get its second opinion.
///
/// Also, sure or not, a unit in capitals after a figure on a line not set in capitals (`800
/// MHZ`): asternet writes the mixed case of few units (`MHz`, `kWh`), and the English reader's
/// opinion decides it.
pub(crate) fn ambiguous_latin_word((text, confs): &Reading) -> bool {
    let words = words_with_confidences(text, confs);
    let in_capitals = !text.chars().any(char::is_lowercase);
    let figure =
        |w: &str| w.chars().any(|c| c.is_ascii_digit()) && w.chars().all(|c| c.is_ascii_digit() || ".,".contains(c));
    words.iter().enumerate().any(|(i, &(w, c))| {
        let letters = w.chars().any(|c| c.is_ascii_alphabetic());
        let digits = w.chars().any(|c| c.is_ascii_digit());
        let unit_in_capitals = !in_capitals
            && i > 0
            && figure(words[i - 1].0)
            && (2..=4).contains(&w.len())
            && w.chars().all(|c| c.is_ascii_uppercase());
        let lone = w == "0" || w.len() == 1 && letters;
        latin(w) && (letters && digits || lone) && c.iter().any(|&c| c < SURE) || unit_in_capitals
    })
}

/// Each word of `text` (split at single spaces, so an empty word keeps its place) with its
/// characters' confidences.
fn words_with_confidences<'a>(text: &'a str, confs: &'a [f32]) -> Vec<(&'a str, &'a [f32])> {
    let mut out = Vec::new();
    let mut at = 0;
    for word in text.split(' ') {
        let n = word.chars().count();
        out.push((word, confs.get(at..at + n).unwrap_or(&[])));
        at += n + 1;
    }
    out
}

/// A word of letters and digits with no letter outside ASCII.
fn latin(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric) && word.chars().all(|c| c.is_ascii() || !c.is_alphabetic())
}

/// `reading` with each of its words without Vietnamese letters replaced by the word in the same
/// place of `other` (another reader's reading of the line) when that word has no Vietnamese
/// letters either and a higher mean confidence; `None` when the two do not have the same
/// number of words (no place-by-place match) or nothing changes.
pub(crate) fn latin_words_voted(reading: &Reading, other: &Reading) -> Option<Reading> {
    let mine = words_with_confidences(&reading.0, &reading.1);
    let theirs = words_with_confidences(&other.0, &other.1);
    if mine.len() != theirs.len() {
        return None;
    }
    let mut changed = false;
    let (mut text, mut confs) = (String::new(), Vec::new());
    let mut at = 0; // the character of `reading` after the last word copied
    for ((w, c), (ow, oc)) in mine.into_iter().zip(theirs) {
        // The space before the word, with its own confidence.
        if at > 0 {
            text.push(' ');
            confs.push(reading.1.get(at).copied().unwrap_or(1.0));
            at += 1;
        }
        let take = latin(w) && latin(ow) && w != ow && line_confidence(oc) > line_confidence(c);
        let (w2, c2) = if take { (ow, oc) } else { (w, c) };
        changed |= take;
        text.push_str(w2);
        confs.extend_from_slice(c2);
        at += w.chars().count();
    }
    changed.then_some((text, confs))
}

/// Mean character confidence under which `auto` asks asternet for a second opinion on a line
/// of an English page: the line keeps asternet's reading when that is Vietnamese by itself
/// ([`line_reads_vietnamese`]: an address on an English receipt, which PP-OCRv6 cannot spell).
/// The second opinion does not compete on English: on the development set's English lines
/// (GT boxes; the odd pages tune, the even check) keeping asternet's English reading whenever
/// it was the more confident raised CER from 0.0395 to 0.0420 (tune) and 0.0407 to 0.0410
/// (check), and never helped with a margin of 0.05 to 0.2 either (docs/models.md).
pub(crate) const SECOND_OPINION_BELOW: f32 = 0.9;

/// (words with a Vietnamese letter, words with any letter) in `text`.
fn vietnamese_words(text: &str) -> (usize, usize) {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .fold((0, 0), |(v, a), w| (v + usize::from(w.chars().any(|c| c.is_alphabetic() && !c.is_ascii())), a + 1))
}

/// A line's text (NFC) and one confidence per character of it.
pub(crate) type Reading = (String, Vec<f32>);

/// Greedy CTC decoding of `[T, C]` log-probabilities: argmax per frame (over the `allowed`
/// classes only, when given; the blank is always allowed), repeats collapsed, blank (class 0)
/// dropped. Each character's confidence is the exp of the best log-prob among the frames that
/// produced it. Returns that reading and, with a `lexicon` (and its character-to-class map), the
/// same path with words re-spelled as [`Lexicon::correct`] finds best, when it changed any.
pub(crate) fn ctc_greedy(
    log_probs: ArrayView2<'_, f32>,
    vocab: &[String],
    allowed: Option<&[bool]>,
    lexicon: Option<(&Lexicon, &HashMap<char, usize>)>,
    gaps: &[(usize, usize)],
    separators: bool,
) -> (Reading, Option<Reading>) {
    let ok = |k: usize| k == 0 || allowed.is_none_or(|a| a.get(k).copied().unwrap_or(false));
    let mut best: Vec<(usize, f32)> = log_probs
        .rows()
        .into_iter()
        .map(|frame| {
            frame
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |acc, (k, &v)| if v > acc.1 && ok(k) { (k, v) } else { acc })
        })
        .collect();
    let class = |c: &str| vocab.iter().position(|v| v == c);
    let space = class(" ");
    if let Some(space) = space {
        spaces_in_gaps(&mut best, gaps, space, vocab, log_probs);
    }
    let mut path = Vec::with_capacity(log_probs.nrows());
    let mut tokens: Vec<(usize, f32)> = Vec::new();
    // Each token's first and last frame.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut prev = usize::MAX;
    for (t, &(best, lp)) in best.iter().enumerate() {
        if best != 0 && best == prev {
            if let (Some(last), Some(span)) = (tokens.last_mut(), spans.last_mut()) {
                last.1 = last.1.max(lp);
                span.1 = t;
            }
        } else if best != 0 {
            tokens.push((best, lp));
            spans.push((t, t));
        }
        path.push(best);
        prev = best;
    }
    if let (true, Some(space), Some(dot), Some(comma)) = (separators, space, class("."), class(",")) {
        separators_in_numbers(&mut tokens, &spans, log_probs, vocab, (space, dot, comma));
    }
    let fixes = match lexicon {
        Some((lex, class_of)) => lex.correct(log_probs, vocab, class_of, &path),
        None => Vec::new(),
    };
    let respelled = (!fixes.is_empty()).then(|| spell(&tokens, vocab, fixes));
    (spell(&tokens, vocab, Vec::new()), respelled)
}

/// A space where the crop has a word space of blank paper (`gaps`, frame ranges from
/// [`ink_gaps`]) between two characters the path reads with nothing between them: the
/// recognizer glues a colon or a quantity sign standing apart to its neighbour (`Tel :` read
/// `Tel:`, `1 x` read `1x`). The space takes the frame in the middle of the gap, with the
/// blank's probability there as its confidence (the frame is surely empty). Never after an
/// opening bracket or before a closing bracket or punctuation: a monospaced `L` and `)` stand
/// a word space apart in ink (`(KL)`).
fn spaces_in_gaps(
    best: &mut [(usize, f32)],
    gaps: &[(usize, usize)],
    space: usize,
    vocab: &[String],
    log_probs: ArrayView2<'_, f32>,
) {
    for &(from, to) in gaps {
        let to = to.min(best.len());
        if from >= to || best[from..to].iter().any(|b| b.0 != 0) {
            continue;
        }
        let before = best[..from].iter().rev().find(|b| b.0 != 0).map(|b| b.0);
        let after = best[to..].iter().find(|b| b.0 != 0).map(|b| b.0);
        if let (Some(a), Some(b)) = (before, after)
            && a != space
            && b != space
            && !vocab.get(a).is_some_and(|c| OPENING.contains(&c.as_str()))
            && !vocab.get(b).is_some_and(|c| CLOSING.contains(&c.as_str()))
        {
            let mid = (from + to) / 2;
            best[mid] = (space, log_probs[[mid, 0]]);
        }
    }
}

/// Characters no space is put after ([`spaces_in_gaps`]).
const OPENING: [&str; 3] = ["(", "[", "{"];
/// Characters no space is put before.
const CLOSING: [&str; 8] = [")", "]", "}", ",", ".", ";", "%", "!"];

/// Shortest run of blank columns in a 32-px crop that is a word space: 0.6 of the text's height
/// (lines are cropped with a margin of 0.1 of their height above and below, so the text is about
/// 27 px high). Measured on the SROIE receipts (monospaced, where a colon or `x` stands a
/// space apart and the recognizer glues it on): 12 / 14 / 16 / 18 / 20 px gave English
/// bag-of-words F1 0.792 / 0.799 / 0.801 / 0.794 / 0.790 (0.783 without); nothing changed on the
/// Vietnamese pages, where the recognizer reads every space.
pub(crate) const SPACE_GAP_PX: u32 = 16;

/// Least contrast, in grey levels, between a crop's ground and its darkest ink for it to have
/// ink at all.
const MIN_INK_CONTRAST: f32 = 40.0;

/// Which columns of a line crop (dark on light, 32 px high) hold ink in the crop's middle rows
/// (the top and bottom rows may hold a neighbouring line's descenders or marks): none when the
/// crop has no ink that stands out from its ground.
pub(crate) fn inked_columns(crop: &RgbImage) -> Vec<bool> {
    let (w, h) = crop.dimensions();
    let rows = (h * 3 / 20)..(h * 17 / 20);
    let ground = luma(&background(crop));
    let darkest = rows
        .clone()
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| luma(crop.get_pixel(x, y)))
        .fold(f32::INFINITY, f32::min);
    if ground - darkest < MIN_INK_CONTRAST {
        return vec![false; w as usize];
    }
    let ink_below = ground - 0.5 * (ground - darkest);
    (0..w).map(|x| rows.clone().any(|y| luma(crop.get_pixel(x, y)) < ink_below)).collect()
}

/// The word spaces of a line crop `height` px high given its [`inked_columns`], as frame ranges
/// of the reader's output (one frame per `per_frame` columns): runs of blank columns at least
/// [`SPACE_GAP_PX`] wide (at 32 px high, proportionally more at a taller height) and more than
/// twice the line's median gap between letters, between inked columns.
pub(crate) fn ink_gaps(inked: &[bool], height: u32, per_frame: u32) -> Vec<(usize, usize)> {
    let per_frame = per_frame as usize;
    let runs = blank_runs(inked);
    // Letter-spaced print (`I N V O I C E`) has wide gaps between all its letters: a word
    // space is then more than twice the line's usual gap, whatever its width.
    let mut lengths: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    lengths.sort_unstable();
    let usual = lengths.get(lengths.len().saturating_sub(1) / 2).copied().unwrap_or(0) as u32;
    let min_gap = (SPACE_GAP_PX * height / LINE_HEIGHT).max(2 * usual + 1) as usize;
    runs.into_iter()
        .filter(|r| r.len() >= min_gap)
        // Frames wholly inside the run.
        .map(|r| (r.start.div_ceil(per_frame), r.end / per_frame))
        .collect()
}

/// The runs of blank columns between inked ones.
fn blank_runs(inked: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut x = inked.iter().position(|&i| i).unwrap_or(inked.len());
    while x < inked.len() {
        let start = x;
        while x < inked.len() && !inked[x] {
            x += 1;
        }
        if x < inked.len() && x > start {
            runs.push(start..x);
        }
        x += 1;
    }
    runs
}

/// Least probability of `.` or `,` (at some frame of a space between digit groups, or a frame
/// beside it) that makes the space that separator. On the development sets the one thousands
/// separator read as a space (`61 000` for `61.000`) had 0.33; the spaces between digit groups
/// that are spaces (`F21 8 220`, phone numbers) at most 0.006.
const SEPARATOR_MIN_PROB: f32 = 0.1;

/// A thousands or decimal separator the recognizer read as a space (`61 000`): a space between a
/// group of 1 to 3 digits and a group of exactly 3, where `.` or `,` is also likely
/// ([`SEPARATOR_MIN_PROB`]), becomes the likelier of the two. Phone numbers (`3979 1525`) and
/// codes keep their spaces: their groups are longer, or the separators unlikely. `classes`: the
/// classes of space, `.` and `,`.
fn separators_in_numbers(
    tokens: &mut [(usize, f32)],
    spans: &[(usize, usize)],
    log_probs: ArrayView2<'_, f32>,
    vocab: &[String],
    (space, dot, comma): (usize, usize, usize),
) {
    let digits: Vec<bool> = tokens
        .iter()
        .map(|t| vocab.get(t.0).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())))
        .collect();
    let digit = |i: usize| digits.get(i).copied().unwrap_or(false);
    let run = |from: usize, step: isize| {
        let mut n = 0;
        let mut i = from as isize;
        while i >= 0 && digit(i as usize) {
            n += 1;
            i += step;
        }
        n
    };
    for i in 1..tokens.len() {
        if tokens[i].0 != space || i + 1 >= tokens.len() {
            continue;
        }
        if !(1..=3).contains(&run(i - 1, -1)) || run(i + 1, 1) != 3 {
            continue;
        }
        let frames = spans[i].0.saturating_sub(1)..(spans[i].1 + 2).min(log_probs.nrows());
        let best = |k: usize| frames.clone().map(|t| log_probs[[t, k]]).fold(f32::NEG_INFINITY, f32::max);
        let (k, lp) = if best(dot) >= best(comma) { (dot, best(dot)) } else { (comma, best(comma)) };
        if lp.exp() >= SEPARATOR_MIN_PROB {
            tokens[i] = (k, lp);
        }
    }
}

/// The text of the path's characters (`tokens`: class and best log-prob), with the lexicon's
/// `fixes` (token range, new spelling) put in place of the words they re-spell.
fn spell(tokens: &[(usize, f32)], vocab: &[String], fixes: Vec<(usize, usize, String)>) -> Reading {
    let mut fixes = fixes.into_iter().peekable();
    let mut raw = String::new();
    let mut confs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((start, end, word)) = fixes.next_if(|f| f.0 == i) {
            // Each character takes the confidence of the token in its place (the last one's for a
            // letter an English re-spelling adds): other marks are one character per token.
            let word_confs = &tokens[start..end];
            for (ch, (_, lp)) in
                word.chars().zip(word_confs.iter().chain(std::iter::repeat(&word_confs[end - start - 1])))
            {
                raw.push(ch);
                confs.push(lp.exp());
            }
            i = end;
            continue;
        }
        let (k, lp) = tokens[i];
        for ch in vocab.get(k).map(String::as_str).unwrap_or("").chars() {
            raw.push(ch);
            confs.push(lp.exp());
        }
        i += 1;
    }
    nfc_with_confidences(&raw, &confs)
}

/// NFC-normalizes `text`, keeping one confidence per output character: where composition
/// merges characters, the merged character gets the lowest confidence of its parts.
pub(crate) fn nfc_with_confidences(text: &str, confs: &[f32]) -> (String, Vec<f32>) {
    let nfc: String = text.nfc().collect();
    if nfc.chars().count() == confs.len() {
        return (nfc, confs.to_vec());
    }
    // Normalize per segment: a starter and the combining marks after it.
    let mut out = String::new();
    let mut out_confs = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let mut j = i + 1;
        while j < chars.len() && unicode_normalization::char::canonical_combining_class(chars[j]) != 0 {
            j += 1;
        }
        let seg: String = chars[i..j].iter().collect::<String>().nfc().collect();
        let seg_min = confs[i..j].iter().copied().fold(1.0f32, f32::min);
        let n = seg.chars().count();
        out.push_str(&seg);
        if n == j - i {
            out_confs.extend_from_slice(&confs[i..j]);
        } else {
            out_confs.extend(std::iter::repeat_n(seg_min, n));
        }
        i = j;
    }
    (out, out_confs)
}

/// The recognizer reads a wide gap before a number as `_` (`X_19.90`, `RM_12.00`, `Table_T13`):
/// an underscore between a letter or digit and another character becomes a space, and one beside
/// a space goes. Words that are addresses keep theirs (`john_doe@example.com`, `www.a_b.com`), and
/// so do runs of two or more (a blank to fill in on a form).
pub(crate) fn underscores_as_spaces((text, confs): Reading) -> Reading {
    if !text.contains('_') {
        return (text, confs);
    }
    let chars: Vec<char> = text.chars().collect();
    let address = |i: usize| {
        let start = chars[..i].iter().rposition(|c| c.is_whitespace()).map_or(0, |p| p + 1);
        let end = chars[i..].iter().position(|c| c.is_whitespace()).map_or(chars.len(), |p| i + p);
        let word: String = chars[start..end].iter().collect::<String>().to_lowercase();
        word.contains('@') || word.contains("://") || word.contains("www.")
    };
    let (mut out, mut out_confs) = (String::new(), Vec::new());
    for (i, (&c, &conf)) in chars.iter().zip(&confs).enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let lone = c == '_' && before != Some('_') && after != Some('_');
        if lone && !address(i) {
            let beside_space = before.is_none_or(char::is_whitespace) || after.is_none_or(char::is_whitespace);
            if beside_space {
                continue;
            }
            if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
                out.push(' ');
                out_confs.push(conf);
                continue;
            }
        }
        out.push(c);
        out_confs.push(conf);
    }
    (out, out_confs)
}

/// A quantity sign glued to a price (`x40.000`, `X19.90`: the recognizer often reads the narrow
/// gap as none) gets its space back, so the amount is a word of its own in the text, the JSON
/// and every export. Only before a number with a thousands or decimal separator: codes such as
/// `X5` or `x2` stay as they are.
pub(crate) fn price_after_times_sign((text, confs): Reading) -> Reading {
    let chars: Vec<char> = text.chars().collect();
    let mut split_at = Vec::new();
    let mut start = 0;
    for end in (0..=chars.len()).filter(|&i| i == chars.len() || chars[i].is_whitespace()) {
        let word = &chars[start..end];
        if word.len() > 1 && matches!(word[0], 'x' | 'X') && is_price(&word[1..]) {
            split_at.push(start + 1);
        }
        start = end + 1;
    }
    if split_at.is_empty() {
        return (text, confs);
    }
    let (mut out, mut out_confs) = (String::new(), Vec::new());
    for (i, (&c, &conf)) in chars.iter().zip(&confs).enumerate() {
        if split_at.contains(&i) {
            out.push(' ');
            out_confs.push(confs[i - 1]);
        }
        out.push(c);
        out_confs.push(conf);
    }
    (out, out_confs)
}

/// A word of capital `O`s, digits and separators that is a number once the `O`s are zeros (`O`
/// alone in a price column or among numbers, `O.OO`, `1O.5O`) is that number: the recognizer reads a zero
/// standing alone as the letter (`0` at 0.06 against `O` at 0.84 on a Vietnamese receipt's
/// discount). Words with other letters (`O'Brien`, `RMO.OO`) and the lower-case `o` (a bullet)
/// stay as they are.
pub(crate) fn zeros_in_numbers((text, confs): Reading) -> Reading {
    if !text.contains('O') {
        return (text, confs);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut start = 0;
    for end in (0..=chars.len()).filter(|&i| i == chars.len() || chars[i].is_whitespace()) {
        let word = &chars[start..end];
        let zeros: Vec<char> = word.iter().map(|&c| if c == 'O' { '0' } else { c }).collect();
        let number = zeros.iter().all(char::is_ascii_digit) || is_price(&zeros);
        // A word of nothing but `O`s is a zero only among numbers (a price column); beside
        // words it is the letter (`O Yes O No`, `Block O`).
        let only_os = word.iter().all(|&c| c == 'O');
        if word.contains(&'O') && number && (!only_os || numbers_only_around(&chars, start, end)) {
            out[start..end].copy_from_slice(&zeros);
        }
        start = end + 1;
    }
    (out.into_iter().collect(), confs)
}

/// Whether every word of `line` outside `start..end` holds a digit (true when there is none).
fn numbers_only_around(line: &[char], start: usize, end: usize) -> bool {
    let rest: String = line[..start].iter().chain(&line[end.min(line.len())..]).collect();
    rest.split_whitespace().all(|w| w.chars().any(|c| c.is_ascii_digit()))
}

/// Digits in groups joined by `.` or `,`, the groups after the first of 2 or 3 digits
/// (`40.000`, `19.90`, `1,234.50`), at least one separator.
fn is_price(word: &[char]) -> bool {
    let text: String = word.iter().collect();
    let groups: Vec<&str> = text.split(['.', ',']).collect();
    groups.len() >= 2
        && groups.iter().all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| (2..=3).contains(&g.len()))
}

/// The reading without the spaces the recognizer put before its first or after its last
/// character (a blank stretch of the crop read as a space), with their confidences.
pub(crate) fn trimmed((text, confs): Reading) -> Reading {
    let chars: Vec<char> = text.chars().collect();
    let start = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(chars.len());
    let end = chars.iter().rposition(|c| !c.is_whitespace()).map_or(start, |i| i + 1);
    if (start, end) == (0, chars.len()) {
        return (text, confs);
    }
    (chars[start..end].iter().collect(), confs.get(start..end).map(<[f32]>::to_vec).unwrap_or_default())
}

/// Mean of the character confidences; 1 for an empty line.
pub(crate) fn line_confidence(confs: &[f32]) -> f32 {
    if confs.is_empty() { 1.0 } else { confs.iter().sum::<f32>() / confs.len() as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn vocab() -> Vec<String> {
        ["<blank>", "a", "b", "ệ"].iter().map(|s| s.to_string()).collect()
    }

    /// Log-probs where frame t puts probability `p` on class `seq[t]`.
    fn frames(seq: &[usize], p: f32) -> Array2<f32> {
        let mut a = Array2::from_elem((seq.len(), 4), ((1.0 - p) / 3.0).ln());
        for (t, &k) in seq.iter().enumerate() {
            a[[t, k]] = p.ln();
        }
        a
    }

    #[test]
    fn english_decoding_never_emits_a_vietnamese_letter() {
        let v = vocab();
        let english = english_classes(&v);
        assert_eq!(english, [true, true, true, false]);
        // Frame 3 says "ệ" at 0.9; among the English classes its runner-up is read instead.
        let mut lp = frames(&[1, 0, 2, 3], 0.9);
        lp[[3, 1]] = 0.08f32.ln();
        let (text, _) = ctc_greedy(lp.view(), &v, Some(&english), None, &[], true).0;
        assert_eq!(text, "aba");
        assert_eq!(ctc_greedy(lp.view(), &v, None, None, &[], true).0.0, "abệ");
        assert!(english_classes(&["<blank>".into(), "°".into(), "Đ".into()]) == [true, true, false]);
    }

    #[test]
    fn auto_reads_an_english_page_the_english_way_and_keeps_vietnamese_lines() {
        // An English receipt where the shared model slipped in a few Vietnamese letters, with a
        // Vietnamese address line.
        let page = [
            "Sơn Bhd",
            "Invoice",
            "Số 5 đường Lê Lợi",
            "Item Qty Price Amount",
            "Pencil box 2 4.00",
            "GST Noạ 123",
            "TOTAL RM 12.00",
            "Goods sold are not refundable",
            "Thank you, please come again",
        ];
        let english = auto_english_lines(&page, None);
        assert_eq!(english, [true, true, false, true, true, true, true, true, true]);
        // With the syllable list, a line of English words the model put marks on is English;
        // the address, made of Vietnamese syllables, stays Vietnamese.
        let syllables = Lexicon::from_buckets(
            &[["số", "đường", "lê", "lợi", "nó"].map(String::from).to_vec()],
            crate::lexicon::Language::Vietnamese,
            0.5,
        );
        let slipped = [
            "Invoice",
            "Số 5 đường Lê Lợi",
            "Item Qty Price Amount",
            "Pencil box 2 4.00",
            "TOTAL RM 12.00",
            "Goods sold are not refundable",
            "STRICTLY NÓ CÀSH REFUND",
            "Thank you, please come again",
        ];
        assert!(!auto_english_lines(&slipped, None)[6]);
        let english = auto_english_lines(&slipped, Some(&syllables));
        assert_eq!(english, [true, false, true, true, true, true, true, true]);
        // A Vietnamese page, English brand names included: every line as read.
        let page = ["Nước suối Lavie", "Tổng tiền 43.000", "VISA", "Cảm ơn quý khách"];
        assert_eq!(auto_english_lines(&page, Some(&syllables)), [false; 4]);
        // Too few words to tell.
        assert_eq!(auto_english_lines(&["Phở", "12"], None), [false, false]);
        assert_eq!(auto_english_lines(&[], None), Vec::<bool>::new());
    }

    #[test]
    fn a_likely_separator_read_as_a_space_between_digit_groups_is_the_separator() {
        let v: Vec<String> = ["<blank>", " ", ".", ",", "0", "1", "6"].iter().map(|s| s.to_string()).collect();
        // "61 000", the space frame 0.6 space / 0.3 ".".
        let seq = [6, 5, 1, 4, 0, 4, 0, 4];
        let mut lp = Array2::from_elem((seq.len(), v.len()), (0.01f32).ln());
        for (t, &k) in seq.iter().enumerate() {
            lp[[t, k]] = 0.9f32.ln();
        }
        lp[[2, 1]] = 0.6f32.ln();
        lp[[2, 2]] = 0.3f32.ln();
        assert_eq!(ctc_greedy(lp.view(), &v, None, None, &[], true).0.0, "61.000");
        // The same with "." unlikely: a space it stays.
        lp[[2, 2]] = 0.01f32.ln();
        assert_eq!(ctc_greedy(lp.view(), &v, None, None, &[], true).0.0, "61 000");
        // Four digits after the space (a phone number's groups): never a separator.
        let seq = [6, 5, 1, 4, 0, 4, 0, 4, 0, 4];
        let mut lp = Array2::from_elem((seq.len(), v.len()), (0.01f32).ln());
        for (t, &k) in seq.iter().enumerate() {
            lp[[t, k]] = 0.9f32.ln();
        }
        lp[[2, 2]] = 0.5f32.ln();
        assert_eq!(ctc_greedy(lp.view(), &v, None, None, &[], true).0.0, "61 0000");
    }

    /// `fix` applied to `text` with a confidence per character, checking they still line up.
    fn respaced(fix: fn(Reading) -> Reading, text: &str) -> String {
        let (out, confs) = fix((text.to_owned(), vec![0.9; text.chars().count()]));
        assert_eq!(out.chars().count(), confs.len(), "{text}");
        out
    }

    #[test]
    fn an_underscore_before_a_number_is_a_space() {
        let read = |t: &str| respaced(underscores_as_spaces, t);
        assert_eq!(read("X_19.90"), "X 19.90");
        assert_eq!(read("RM_12.00 Table_T13"), "RM 12.00 Table T13");
        assert_eq!(read("1 X_ 7.30"), "1 X 7.30");
        assert_eq!(read("Name: ____"), "Name: ____");
        assert_eq!(read("mail john_doe@example.com"), "mail john_doe@example.com");
        assert_eq!(read("no underscore"), "no underscore");
    }

    #[test]
    fn a_capital_o_that_makes_a_number_is_a_zero() {
        let read = |t: &str| zeros_in_numbers((t.to_owned(), vec![1.0; t.chars().count()])).0;
        assert_eq!(read("O"), "0");
        assert_eq!(read("5.000 O 12.000"), "5.000 0 12.000");
        assert_eq!(read("TOTAL O.OO 1O.5O"), "TOTAL 0.00 10.50");
        assert_eq!(read("12.50 O 3"), "12.50 0 3");
        for kept in ["O'Brien", "RMO.OO", "o", "OK", "Ô", "O-ring", "O Yes O No", "Block O", "Type O 5"] {
            assert_eq!(read(kept), kept);
        }
    }

    #[test]
    fn a_times_sign_glued_to_a_price_is_a_word_of_its_own() {
        let read = |t: &str| respaced(price_after_times_sign, t);
        assert_eq!(read("4 x34.000"), "4 x 34.000");
        assert_eq!(read("X19.90 19.90"), "X 19.90 19.90");
        assert_eq!(read("1 X7.30"), "1 X 7.30");
        for kept in ["x2", "X5 Pro", "x 40.000", "xl.000", "X1234.00", "Box 12.00"] {
            assert_eq!(read(kept), kept);
        }
    }

    #[test]
    fn english_words_get_one_case_and_letters_for_look_alike_digits() {
        assert_eq!(tidy_english("POPULAR B0OK"), "POPULAR BOOK");
        assert_eq!(tidy_english("Leve1 3"), "Level 3");
        assert_eq!(tidy_english("1tem Count"), "Item Count");
        assert_eq!(tidy_english("TotaI RM"), "Total RM");
        assert_eq!(tidy_english("Tax invoice"), "Tax invoice");
        // Codes, amounts, Title case and one-case words stay as read.
        assert_eq!(tidy_english("INVOlCE No"), "INVOICE No");
        for kept in [
            "M4980302 SS21/39, F21 T01 3-1708032",
            "RM12.50 0.83 5.56 NO.1,",
            "Sdn Bhd iPhone McDonald PayPal",
            "A4 B5",
            // Codes ending in a digit, quantities, units and titles.
            "XR5 AB12C5 KX-775 1TB 2GB 8GB",
            "2.4 kWh 800 MHz 3.2 GHz Lan Tran PhD mAh",
        ] {
            assert_eq!(tidy_english(kept), kept);
        }
    }

    #[test]
    fn an_unsure_code_in_a_vietnamese_line_takes_the_more_confident_latin_reading() {
        let r = |t: &str, c: f32| (t.to_owned(), vec![c; t.chars().count()]);
        let mut vi = r("tần số 800 MH2", 0.95);
        vi.1[12] = 0.5;
        assert!(ambiguous_latin_word(&vi) && ambiguous_latin_word(&r("dãy nhà 0", 0.9)));
        assert!(!ambiguous_latin_word(&r("dãy nhà 0", 0.995)), "asternet is sure of it");
        assert!(ambiguous_latin_word(&r("L", 0.77)) && !ambiguous_latin_word(&r("L", 0.999)));
        assert!(!ambiguous_latin_word(&r("ở", 0.5)) && !ambiguous_latin_word(&r("2", 0.5)));
        assert!(!ambiguous_latin_word(&r("tần số 800 MHz", 0.95)) && !ambiguous_latin_word(&r("Giá 12.000", 0.9)));
        // A unit in capitals after a figure gets the other opinion however sure asternet is,
        // unless the whole line is in capitals.
        assert!(ambiguous_latin_word(&r("tần số 800 MHZ", 0.999)));
        assert!(!ambiguous_latin_word(&r("TẦN SỐ 800 MHZ", 0.999)) && !ambiguous_latin_word(&r("mã số KH 800", 0.999)));
        let en = r("tan so 800 MHz", 0.97);
        let voted = latin_words_voted(&vi, &en).unwrap();
        // Only the word without Vietnamese letters changes; `so` does not replace `số`.
        assert_eq!(voted.0, "tần số 800 MHz");
        assert_eq!(voted.1.len(), voted.0.chars().count());
        assert!(latin_words_voted(&vi, &r("tan so 800", 0.99)).is_none(), "word counts differ");
        assert!(latin_words_voted(&vi, &r("tan so 800 MHZ", 0.4)).is_none(), "less confident");
    }

    #[test]
    fn ctc_collapses_repeats_and_drops_blanks() {
        let (text, confs) =
            ctc_greedy(frames(&[0, 1, 1, 0, 1, 2, 2, 0, 3], 0.9).view(), &vocab(), None, None, &[], true).0;
        assert_eq!(text, "aabệ");
        assert_eq!(confs.len(), 4);
        assert!(confs.iter().all(|c| (c - 0.9).abs() < 1e-5));
        let (empty, none) = ctc_greedy(frames(&[0, 0, 0], 0.9).view(), &vocab(), None, None, &[], true).0;
        assert_eq!((empty.as_str(), none.len()), ("", 0));
        assert_eq!(line_confidence(&none), 1.0);
    }

    #[test]
    fn a_character_takes_the_best_frame_of_its_run() {
        let mut lp = frames(&[1, 1], 0.6);
        lp[[1, 1]] = 0.8f32.ln();
        let (_, confs) = ctc_greedy(lp.view(), &vocab(), None, None, &[], true).0;
        assert!((confs[0] - 0.8).abs() < 1e-5);
    }

    #[test]
    fn decomposed_output_is_composed_to_nfc_with_aligned_confidences() {
        let (text, confs) = nfc_with_confidences("e\u{323}\u{302}x", &[0.9, 0.5, 0.7, 0.8]);
        assert_eq!(text, "ệx");
        assert_eq!(confs, vec![0.5, 0.8]);
    }

    #[test]
    fn spaces_read_before_the_first_or_after_the_last_character_go_with_their_confidences() {
        let r = trimmed((" Tổng  cộng ".into(), vec![0.1, 0.9, 0.8, 0.7, 0.6, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.4]));
        assert_eq!(r, ("Tổng  cộng".to_string(), vec![0.9, 0.8, 0.7, 0.6, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8]));
        assert_eq!(trimmed(("  ".into(), vec![0.5, 0.5])), (String::new(), vec![]));
        assert_eq!(trimmed(("ok".into(), vec![0.5, 0.6])), ("ok".to_string(), vec![0.5, 0.6]));
    }

    #[test]
    fn line_width_keeps_aspect_in_whole_frames() {
        assert_eq!(line_width(100.0, 20.0, 32, 4), 160);
        assert_eq!(line_width(101.0, 20.0, 32, 4), 164);
        assert_eq!(line_width(5.0, 20.0, 32, 4), 32);
        assert_eq!(line_width(101.0, 20.0, 48, 8), 248);
        assert_eq!(line_width(100_000.0, 5.0, 32, 4), MAX_LINE_WIDTH);
    }

    #[test]
    fn buckets_keep_similar_widths_together() {
        let b = buckets(&[100, 400, 104, 120, 800, 410, 128], 16);
        assert_eq!(b, vec![vec![0, 2, 3, 6], vec![1, 5], vec![4]]);
        let b = buckets(&[100; 5], 2);
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn word_spaces_of_blank_paper_are_found_between_inked_columns() {
        // Ink at columns 10..30, 50..56 and 60..80: a 20-px gap (a word space) and a 4-px one
        // (letters). Ink in the top rows (a neighbouring line's descenders) over the gap, and the
        // blank paper before the first and after the last ink, are not word spaces.
        let mut crop = RgbImage::from_pixel(120, LINE_HEIGHT, Rgb([240, 240, 240]));
        for (from, to) in [(10, 30), (50, 56), (60, 80)] {
            for x in from..to {
                for y in 8..24 {
                    crop.put_pixel(x, y, Rgb([30, 30, 30]));
                }
            }
        }
        for x in 30..50 {
            crop.put_pixel(x, 1, Rgb([30, 30, 30]));
        }
        assert_eq!(ink_gaps(&inked_columns(&crop), 32, 4), vec![(8, 12)]);
        // Letter-spaced print: 12-px gaps between all letters are not word spaces, a 30-px one is.
        let mut spaced = RgbImage::from_pixel(400, LINE_HEIGHT, Rgb([240, 240, 240]));
        let mut x = 10;
        for gap in [12, 12, 12, 30, 12, 12, 12] {
            for xx in x..x + 14 {
                for y in 8..24 {
                    spaced.put_pixel(xx, y, Rgb([30, 30, 30]));
                }
            }
            x += 14 + gap;
        }
        for xx in x..x + 14 {
            for y in 8..24 {
                spaced.put_pixel(xx, y, Rgb([30, 30, 30]));
            }
        }
        assert_eq!(ink_gaps(&inked_columns(&spaced), 32, 4), vec![(26, 33)]);
        // A crop of flat paper has no ink, and no spaces.
        assert!(
            ink_gaps(&inked_columns(&RgbImage::from_pixel(120, LINE_HEIGHT, Rgb([240, 240, 240]))), 32, 4).is_empty()
        );
    }

    #[test]
    fn a_word_space_on_paper_is_a_space_in_the_reading() {
        // `a:` read with nothing between, where the crop has a word space (frames 3..6): `a :`.
        let v: Vec<String> = ["<blank>", "a", ":", " ", ")"].iter().map(|s| s.to_string()).collect();
        let lp = |seq: &[usize]| {
            let mut a = Array2::from_elem((seq.len(), v.len()), (0.01f32).ln());
            for (t, &k) in seq.iter().enumerate() {
                a[[t, k]] = 0.96f32.ln();
            }
            a
        };
        let glued = lp(&[1, 1, 0, 0, 0, 0, 0, 2]);
        assert_eq!(ctc_greedy(glued.view(), &v, None, None, &[], true).0.0, "a:");
        assert_eq!(ctc_greedy(glued.view(), &v, None, None, &[(3, 6)], true).0.0, "a :");
        // A character read inside the gap, a space already there, or a closing bracket: unchanged.
        assert_eq!(ctc_greedy(lp(&[1, 0, 0, 0, 2, 0, 0, 2]).view(), &v, None, None, &[(3, 6)], true).0.0, "a::");
        assert_eq!(ctc_greedy(lp(&[1, 0, 3, 0, 0, 0, 0, 2]).view(), &v, None, None, &[(3, 6)], true).0.0, "a :");
        assert_eq!(ctc_greedy(lp(&[1, 0, 0, 0, 0, 0, 0, 4]).view(), &v, None, None, &[(3, 6)], true).0.0, "a)");
    }

    #[test]
    fn a_word_space_in_the_pixels_of_a_real_line_is_read_as_a_space() {
        // A monospaced `Label : value` line of a rendered receipt (tests/fixtures/regression/
        // en_spaced_receipt.png), given to the engine as one box around its ink (+ 4 px). The
        // recognizer glues the colon to the label (`Cashier:`); the space comes from the blank
        // paper the crop shows between them. (Of the page's 10 label and item lines boxed so,
        // this is the one the recognizer alone reads without the space.)
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/regression/en_spaced_receipt.png");
        let page =
            crate::decode_pages(&std::fs::read(path).unwrap(), &crate::DecodeLimits::default()).unwrap().remove(0);
        let cfg = crate::InferenceConfig { intra_threads: 2, ..Default::default() };
        let engine =
            crate::Engine::load(&cfg).unwrap_or_else(|e| panic!("{e} (fetch the models with scripts/fetch-models.sh)"));
        // Ink of `Cashier : AMIRAH`: x 25..178, y 101..113.
        let quad = [[21.0, 97.0], [182.0, 97.0], [182.0, 117.0], [21.0, 117.0]];
        let gaps = ink_gaps(&inked_columns(&crop_line(&page, &quad)), 32, 4);
        assert!(!gaps.is_empty(), "no word space found in the crop's pixels");
        let read =
            engine.recognize(&page, &[ocr_core::TextBox { points: quad, score: 1.0 }], ocr_core::Lang::En).unwrap();
        assert_eq!(read.lines[0].text, "Cashier : AMIRAH", "word spaces in the crop (frames): {gaps:?}");
    }

    #[test]
    fn crops_are_32_high_and_straightened() {
        // A dark bar on white, read through a quad that exactly covers it.
        let mut page = RgbImage::from_pixel(200, 100, Rgb([255, 255, 255]));
        for y in 40..60 {
            for x in 20..120 {
                page.put_pixel(x, y, Rgb([0, 0, 0]));
            }
        }
        let crop = crop_line(&page, &[[20.0, 40.0], [120.0, 40.0], [120.0, 60.0], [20.0, 60.0]]);
        assert_eq!(crop.dimensions(), (160, 32));
        assert!(crop.get_pixel(80, 16)[0] < 10);
    }

    #[test]
    fn light_letters_on_a_dark_ground_are_read_as_dark_on_light() {
        // White letters (a bar) on a red sign: inverted to dark on light grey.
        let mut sign = RgbImage::from_pixel(200, 100, Rgb([200, 20, 20]));
        for y in 45..55 {
            for x in 40..100 {
                sign.put_pixel(x, y, Rgb([255, 255, 255]));
            }
        }
        let quad = [[20.0, 40.0], [120.0, 40.0], [120.0, 60.0], [20.0, 60.0]];
        let crop = crop_line(&sign, &quad);
        let (ink, ground) = (crop.get_pixel(60, 16), crop.get_pixel(2, 2));
        assert!(ink[0] < 30 && ground[0] > 150 && ink[0] == ink[1], "ink {ink:?}, ground {ground:?}");
        // Dark print on paper is left as it is, colours included.
        let mut paper = RgbImage::from_pixel(200, 100, Rgb([250, 245, 240]));
        for y in 45..55 {
            for x in 40..100 {
                paper.put_pixel(x, y, Rgb([10, 10, 80]));
            }
        }
        let crop = crop_line(&paper, &quad);
        assert_eq!(*crop.get_pixel(2, 2), Rgb([250, 245, 240]));
        assert!(crop.get_pixel(60, 16)[2] > crop.get_pixel(60, 16)[0]);
    }

    #[test]
    fn batches_are_padded_with_the_crops_own_background() {
        // Dark ink reaching the crop's right edge, on white paper: the padding is paper, not ink.
        let mut ink = RgbImage::from_pixel(40, 32, Rgb([250, 250, 250]));
        for y in 8..24 {
            for x in 30..40 {
                ink.put_pixel(x, y, Rgb([0, 0, 0]));
            }
        }
        // Light letters on a red sign: the padding is red.
        let sign = RgbImage::from_pixel(40, 32, Rgb([200, 20, 20]));
        let t = crate::readers::Family::Asternet.tensor(&[&ink, &sign]);
        assert_eq!(t.shape(), &[2, 3, 32, 64]);
        let v = |p: u8| f32::from(p) / 127.5 - 1.0;
        assert!((t[[0, 0, 16, 39]] - v(0)).abs() < 1e-6, "the ink is kept");
        assert!((t[[0, 0, 16, 50]] - v(250)).abs() < 1e-6, "paper after it");
        assert!((t[[1, 0, 16, 50]] - v(200)).abs() < 1e-6 && (t[[1, 1, 16, 50]] - v(20)).abs() < 1e-6);
    }
}
