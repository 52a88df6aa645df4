//! The line-recognizer families the engine runs: what each model is fed (crop height, channel
//! order, scaling), how its output is laid out, and where its vocabulary comes from. Everything
//! after the output frames (stitching pieces, CTC decoding, word lists) is shared: each family
//! hands back one `[T, classes]` log-probability array per crop over its kept classes.

use std::path::Path;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use ndarray::{Array1, Array2, Array4, ArrayViewD, Axis};
use ort::session::Session;
use ort::value::TensorRef;

use crate::error::{Error, Result};
use crate::recognize;

/// A family of line recognizers: models that share their input and output conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Family {
    /// asternet (PyPI `asterocr`): RGB crops 32 px high, scaled to `[-1, 1]`; output log-probs
    /// `[T, B, C]` (time-major), one frame per 4 columns; vocabulary in a `vocab.json`
    /// (`{"chars": [...]}`, `chars[0]` the CTC blank). Reads Vietnamese and English.
    #[default]
    Asternet,
    /// PaddleOCR's PP-OCR recognizers (PP-OCRv6 small, from PyPI `rapidocr`): BGR crops 48 px
    /// high, scaled to `[-1, 1]`; output probabilities `[B, T, C]`, one frame per 8 columns;
    /// dictionary in the model's metadata (`character`, one per line), with the CTC blank put
    /// first and a space last, as PaddleOCR's own decoder does. Its dictionary is mostly CJK and
    /// lacks most Vietnamese letters: only the Latin script and common symbols are kept
    /// ([`kept_class`]), so it reads English, digits and codes.
    PaddleOcr,
    /// trueocr's line recognizer (PyPI `trueocr`, Apache-2.0): an ink map (0 paper, 1 ink) of
    /// the line with a line's height of paper above and below it and 0.3 of it left and right,
    /// 96 px high in all (the line itself about 23 px), its width as a second input; output the
    /// best class and its probability per frame of 4 columns (the argmax is inside the model);
    /// charset in its `meta.json` (`charset`, the CTC blank before it). Reads Vietnamese; a
    /// second opinion on lines asternet is unsure of (docs/models.md).
    Trueocr,
}

/// trueocr's window: the line, with paper above and below, is this many rows high.
const TRUEOCR_WINDOW: usize = 96;
/// Columns of paper trueocr's crops have left and right of the line (0.3 line heights, rounded
/// to whole frames so that frame `t` of the output is column `4 t` of the line).
const TRUEOCR_SIDE: usize = 8;
/// Zero-ink columns after the widest line of a batch, as trueocr's own batching adds: its
/// context branch then sees the same edge whether the line is read alone or beside a wider one.
const TRUEOCR_HALO: usize = 8;

impl Family {
    /// Crop height the model reads.
    pub(crate) fn height(self) -> u32 {
        match self {
            Family::Asternet => 32,
            Family::PaddleOcr => 48,
            // 96 rows / (1 + 2 x 1.6 line heights of paper)
            Family::Trueocr => 23,
        }
    }

    /// Crop columns per output frame.
    pub(crate) fn columns_per_frame(self) -> u32 {
        match self {
            Family::Asternet | Family::Trueocr => 4,
            Family::PaddleOcr => 8,
        }
    }

    /// The short name results carry in each line's `reader`.
    pub(crate) fn reader_name(self) -> &'static str {
        match self {
            Family::Asternet => "asternet",
            Family::PaddleOcr => "ppocr",
            Family::Trueocr => "trueocr",
        }
    }

    /// One model call on a batch of crops: each crop's frames `[T, kept classes]` as
    /// log-probabilities (see [`Family::frames`]); the time from the input tensor's being ready
    /// to the frames' (the model's share of the work) is added to `model`.
    pub(crate) fn run(
        self,
        session: &mut Session,
        crops: &[&RgbImage],
        classes: usize,
        keep: Option<&[usize]>,
        model: &mut Duration,
    ) -> std::result::Result<Vec<Array2<f32>>, String> {
        let e = |e: ort::Error| e.to_string();
        if self != Family::Trueocr {
            let input = self.tensor(crops);
            let _timed = Timed(Instant::now(), model);
            let outputs = session.run(ort::inputs![TensorRef::from_array_view(&input).map_err(e)?]).map_err(e)?;
            let output = outputs[0].try_extract_array::<f32>().map_err(e)?;
            return self.frames(output, crops.len(), classes, keep);
        }
        let (input, widths) = trueocr_tensor(crops);
        let _timed = Timed(Instant::now(), model);
        let outputs = session
            .run(ort::inputs![
                "x" => TensorRef::from_array_view(&input).map_err(e)?,
                "widths" => TensorRef::from_array_view(&widths).map_err(e)?,
            ])
            .map_err(e)?;
        let ids = outputs["ids"].try_extract_array::<i64>().map_err(e)?;
        let conf = outputs["conf"].try_extract_array::<f32>().map_err(e)?;
        if ids.shape().len() != 2 || ids.shape()[0] != crops.len() || ids.shape() != conf.shape() {
            return Err(format!("unexpected trueocr output shapes {:?} / {:?}", ids.shape(), conf.shape()));
        }
        Ok(crops
            .iter()
            .enumerate()
            .map(|(b, crop)| {
                // Frames of the line itself: past the left paper, up to the line's right end.
                let skip = TRUEOCR_SIDE / 4;
                let frames = (crop.width() as usize).div_ceil(4).min(ids.shape()[1].saturating_sub(skip));
                top_choice_frames((0..frames).map(|t| (ids[[b, t + skip]], conf[[b, t + skip]])), classes)
            })
            .collect())
    }

    /// Batch tensor `[B, 3, H, W]`, `(p/255 - 0.5) / 0.5`, channels in the model's order, W the
    /// padded width of the widest crop; crops are padded on the right with their own background
    /// colour (no artificial edge for the model to read).
    pub(crate) fn tensor(self, crops: &[&RgbImage]) -> Array4<f32> {
        let height = self.height() as usize;
        let wmax = recognize::padded_width(crops.iter().map(|c| c.width()).max().unwrap_or(32)) as usize;
        let mut t = Array4::<f32>::zeros((crops.len(), 3, height, wmax));
        let channels: [usize; 3] = match self {
            Family::Asternet | Family::Trueocr => [0, 1, 2],
            Family::PaddleOcr => [2, 1, 0],
        };
        for (b, crop) in crops.iter().enumerate() {
            let cw = crop.width();
            let bg = recognize::background(crop);
            for y in 0..height.min(crop.height() as usize) {
                for x in 0..wmax {
                    let p = if (x as u32) < cw { *crop.get_pixel(x as u32, y as u32) } else { bg };
                    for (c, &from) in channels.iter().enumerate() {
                        t[[b, c, y, x]] = f32::from(p[from]) / 127.5 - 1.0;
                    }
                }
            }
        }
        t
    }

    /// Each crop's frames `[T, kept classes]` as log-probabilities, from the model's first
    /// output. `keep` lists the model's classes that are kept, in order (`None`: all).
    pub(crate) fn frames(
        self,
        output: ArrayViewD<'_, f32>,
        batch: usize,
        classes: usize,
        keep: Option<&[usize]>,
    ) -> std::result::Result<Vec<Array2<f32>>, String> {
        let shape = output.shape().to_vec();
        let (batch_axis, log) = match self {
            Family::Asternet | Family::Trueocr => (1, false),
            Family::PaddleOcr => (0, true),
        };
        if shape.len() != 3 || shape[batch_axis] != batch || shape[2] != classes {
            return Err(format!("unexpected output shape {shape:?} for a batch of {batch} and {classes} classes"));
        }
        Ok((0..batch)
            .map(|b| {
                let crop = output.index_axis(Axis(batch_axis), b);
                let crop = crop.into_dimensionality::<ndarray::Ix2>().expect("a 3-d output less one axis");
                let pick = |t: usize, k: usize| {
                    let v = crop[[t, k]];
                    if log { v.max(f32::MIN_POSITIVE).ln() } else { v }
                };
                match keep {
                    None => Array2::from_shape_fn(crop.dim(), |(t, k)| pick(t, k)),
                    Some(keep) => Array2::from_shape_fn((crop.nrows(), keep.len()), |(t, k)| pick(t, keep[k])),
                }
            })
            .collect())
    }

    /// The model's whole vocabulary, class by class (class 0 the CTC blank).
    pub(crate) fn vocabulary(self, session: &Session, model: &Path, vocab_file: &Path) -> Result<Vec<String>> {
        let err = |e: String| Error::ModelLoad(format!("{}: {e}", model.display()));
        match self {
            Family::Asternet => load_vocab_json(vocab_file),
            Family::Trueocr => {
                #[derive(serde::Deserialize)]
                struct Meta {
                    charset: Vec<String>,
                }
                let bytes = std::fs::read(vocab_file).map_err(|e| err(format!("{}: {e}", vocab_file.display())))?;
                let meta: Meta =
                    serde_json::from_slice(&bytes).map_err(|e| err(format!("{}: {e}", vocab_file.display())))?;
                let mut vocab = vec!["<blank>".to_owned()];
                vocab.extend(meta.charset);
                Ok(vocab)
            }
            Family::PaddleOcr => {
                let meta = session.metadata().map_err(|e| err(e.to_string()))?;
                let dict =
                    meta.custom("character").ok_or_else(|| err("no `character` dictionary in its metadata".into()))?;
                let mut vocab = vec!["<blank>".to_owned()];
                vocab.extend(dict.split('\n').map(str::to_owned));
                vocab.push(" ".to_owned());
                Ok(vocab)
            }
        }
    }

    /// Which of the model's classes its readings may use: every class for asternet; for
    /// PP-OCR the blank and the classes that are one character [`kept_class`] allows.
    pub(crate) fn kept_classes(self, vocab: &[String]) -> Option<Vec<usize>> {
        match self {
            Family::Asternet | Family::Trueocr => None,
            Family::PaddleOcr => Some(
                (0..vocab.len())
                    .filter(|&k| {
                        let mut cs = vocab[k].chars();
                        k == 0 || matches!((cs.next(), cs.next()), (Some(c), None) if kept_class(c))
                    })
                    .collect(),
            ),
        }
    }

    /// Whether a vocabulary file goes with the model (else the dictionary is inside it).
    pub(crate) fn needs_vocab_file(self) -> bool {
        self != Family::PaddleOcr
    }
}

/// Adds the time since its start to the duration it holds when it is dropped (on every return).
struct Timed<'a>(Instant, &'a mut Duration);

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        *self.1 += self.0.elapsed();
    }
}

/// trueocr's input for a batch of crops (each [`Family::Trueocr`]'s height): ink maps
/// `[B, 1, 96, W]`, every line between paper rows and columns of its own ground colour, then
/// zero ink to the batch's width; and each map's width without that padding.
fn trueocr_tensor(crops: &[&RgbImage]) -> (Array4<f32>, Array1<i64>) {
    let width = |c: &RgbImage| c.width() as usize + 2 * TRUEOCR_SIDE;
    let wmax = crops.iter().map(|c| width(c)).max().unwrap_or(0).div_ceil(8) * 8 + TRUEOCR_HALO;
    let mut t = Array4::<f32>::zeros((crops.len(), 1, TRUEOCR_WINDOW, wmax));
    let gray =
        |p: &Rgb<u8>| 1.0 - (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0;
    for (b, crop) in crops.iter().enumerate() {
        let paper = gray(&recognize::background(crop));
        let top = (TRUEOCR_WINDOW - crop.height() as usize) / 2;
        for y in 0..TRUEOCR_WINDOW {
            for x in 0..width(crop) {
                let inside = (top..top + crop.height() as usize).contains(&y)
                    && (TRUEOCR_SIDE..TRUEOCR_SIDE + crop.width() as usize).contains(&x);
                t[[b, 0, y, x]] = match inside {
                    true => gray(crop.get_pixel((x - TRUEOCR_SIDE) as u32, (y - top) as u32)),
                    false => paper,
                };
            }
        }
    }
    (t, crops.iter().map(|c| width(c) as i64).collect())
}

/// Frames `[T, classes]` of log-probabilities from a model that gives only its best class and
/// that class's probability per frame: the rest of the probability is spread evenly over the
/// other classes (so greedy decoding reads what the model read, with its confidences, and no
/// second choice stands out).
fn top_choice_frames(frames: impl ExactSizeIterator<Item = (i64, f32)>, classes: usize) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((frames.len(), classes));
    for (t, (id, p)) in frames.enumerate() {
        let p = p.clamp(1e-6, 1.0 - 1e-6);
        out.row_mut(t).fill(((1.0 - p) / (classes - 1).max(1) as f32).ln());
        if let Some(k) = usize::try_from(id).ok().filter(|&k| k < classes) {
            out[[t, k]] = p.ln();
        }
    }
    out
}

/// Characters a Latin-script reading may hold: printable ASCII, the Latin letters with marks
/// (for names such as `Café`, `Müller`), and the symbols of prices, units and lists.
pub(crate) fn kept_class(c: char) -> bool {
    (' '..='~').contains(&c)
        || ('\u{c0}'..='\u{24f}').contains(&c) && c.is_alphabetic()
        || ('\u{1e00}'..='\u{1eff}').contains(&c)
        || "°±×÷·•–—‘’“”…€£¥§©®™µ¢".contains(c)
}

fn load_vocab_json(path: &Path) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Vocab {
        chars: Vec<String>,
    }
    let bytes = std::fs::read(path).map_err(|e| Error::ModelLoad(format!("{}: {e}", path.display())))?;
    let v: Vocab = serde_json::from_slice(&bytes).map_err(|e| Error::ModelLoad(format!("{}: {e}", path.display())))?;
    if v.chars.len() < 2 {
        return Err(Error::ModelLoad(format!("{}: vocabulary is empty", path.display())));
    }
    Ok(v.chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppocr_keeps_latin_letters_and_symbols_and_drops_cjk() {
        let vocab: Vec<String> =
            ["<blank>", "a", "中", "é", "ệ", "€", "ab", "，", " "].iter().map(|s| s.to_string()).collect();
        assert_eq!(Family::PaddleOcr.kept_classes(&vocab), Some(vec![0, 1, 3, 4, 5, 8]));
        assert_eq!(Family::Asternet.kept_classes(&vocab), None);
    }

    #[test]
    fn ppocr_probabilities_become_log_probabilities_over_the_kept_classes() {
        // [B=1, T=2, C=3]
        let out = ndarray::Array3::from_shape_vec((1, 2, 3), vec![0.5, 0.25, 0.25, 0.1, 0.0, 0.9]).unwrap();
        let f = Family::PaddleOcr.frames(out.view().into_dyn(), 1, 3, Some(&[0, 2])).unwrap();
        assert_eq!(f[0].dim(), (2, 2));
        assert!((f[0][[0, 1]] - 0.25f32.ln()).abs() < 1e-6);
        assert!((f[0][[1, 1]] - 0.9f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn trueocr_reads_an_ink_map_of_the_line_between_paper() {
        // A black bar on a white crop 23 px high: ink 1 on the bar, the crop's ground and the
        // paper around it 0, the batch padded with zero ink past the widest map, whose width is
        // the second input.
        let mut line = RgbImage::from_pixel(40, 23, image::Rgb([255, 255, 255]));
        for x in 0..40 {
            line.put_pixel(x, 5, image::Rgb([0, 0, 0]));
        }
        let mut framed = RgbImage::from_pixel(12, 23, image::Rgb([255, 255, 255]));
        framed.put_pixel(6, 11, image::Rgb([0, 0, 0]));
        let (t, widths) = trueocr_tensor(&[&line, &framed]);
        assert_eq!(t.dim(), (2, 1, TRUEOCR_WINDOW, 64));
        assert_eq!(widths.to_vec(), vec![56, 28]);
        let top = (TRUEOCR_WINDOW - 23) / 2;
        assert_eq!((t[[0, 0, top + 5, TRUEOCR_SIDE]], t[[0, 0, top + 4, TRUEOCR_SIDE]]), (1.0, 0.0));
        assert_eq!((t[[0, 0, top + 5, TRUEOCR_SIDE - 1]], t[[0, 0, top - 1, TRUEOCR_SIDE]]), (0.0, 0.0));
        assert_eq!(t[[1, 0, top + 11, TRUEOCR_SIDE + 6]], 1.0);
        assert_eq!(t[[1, 0, top + 11, TRUEOCR_SIDE + 5]], 0.0);
    }

    #[test]
    fn a_best_class_and_its_probability_become_frames_a_greedy_decoder_reads_the_same() {
        let f = top_choice_frames([(2_i64, 0.8_f32), (0, 0.9)].into_iter(), 5);
        assert_eq!(f.dim(), (2, 5));
        assert!((f[[0, 2]] - 0.8f32.ln()).abs() < 1e-6);
        assert!((f[[0, 1]] - 0.05f32.ln()).abs() < 1e-6);
        let best = |t: usize| (0..5).max_by(|&a, &b| f[[t, a]].total_cmp(&f[[t, b]])).unwrap();
        assert_eq!((best(0), best(1)), (2, 0));
    }

    #[test]
    fn each_family_orders_the_channels_its_own_way() {
        let crop = RgbImage::from_pixel(8, 48, image::Rgb([255, 0, 0]));
        let rgb = Family::Asternet.tensor(&[&RgbImage::from_pixel(8, 32, image::Rgb([255, 0, 0]))]);
        let bgr = Family::PaddleOcr.tensor(&[&crop]);
        assert_eq!((rgb[[0, 0, 0, 0]], rgb[[0, 2, 0, 0]]), (1.0, -1.0));
        assert_eq!((bgr[[0, 0, 0, 0]], bgr[[0, 2, 0, 0]]), (-1.0, 1.0));
        assert_eq!(bgr.dim(), (1, 3, 48, 32));
    }
}
