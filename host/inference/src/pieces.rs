//! Lines longer than a reader takes, read in pieces.
//!
//! A reader takes crops up to a width of its own (asternet: 1024 px at 32 px high, the 256 time
//! steps its positional encoding holds; a wider crop is a model error). A wider crop is cut into
//! overlapping pieces ([`plan`]): each cut sits in the widest run of blank paper in the second
//! half of the reach left to it (a word space, where the line has any), and each piece reaches
//! [`CONTEXT`] pixels past its cuts, so the reader sees the words on both sides of every cut.
//! The pieces' output frames are stitched into one line's frames ([`stitch`]), switching from one
//! piece to the next at a frame both read as blank where what one read before it is what the
//! other read before it, so no character is lost or read twice at a seam. The stitched
//! frames are decoded as one line: word spaces, separators, re-spellings and per-character
//! confidences come out as on a line that fits.

use std::ops::Range;

use ndarray::{Array2, ArrayView2, s};

/// Pixels a piece reaches past a cut, on each side: about three characters at 32 px high, so
/// the reader reads the words at a cut with their neighbours, and 16 frames in which the two
/// pieces can agree on a seam.
pub(crate) const CONTEXT: u32 = 64;

/// Narrowest crop a reader may take and still read long lines in pieces that overlap.
pub(crate) const MIN_READER_WIDTH: u32 = 4 * CONTEXT;

/// Column ranges of the pieces that cover a crop whose columns are `inked` (true: ink in the
/// column), each at most `max_width` wide: one piece when the crop fits. Cuts and piece starts
/// fall on whole frames of `per_frame` columns (the reader's columns per output frame). `max_width` must be at least [`MIN_READER_WIDTH`] (a reader that takes
/// less reads lines in pieces too narrow to overlap).
pub(crate) fn plan(inked: &[bool], max_width: u32, per_frame: u32) -> Vec<Range<u32>> {
    let width = inked.len() as u32;
    let max_width = max_width - max_width % per_frame;
    let mut pieces = Vec::new();
    let (mut start, mut cut) = (0, 0);
    while width - start > max_width {
        assert!(
            max_width >= MIN_READER_WIDTH,
            "a reader's widest crop ({max_width} px) is too narrow to read in pieces"
        );
        let latest = start + max_width - CONTEXT;
        let earliest = cut + (latest - cut) / 2;
        let next = best_cut(inked, earliest, latest, per_frame);
        pieces.push(start..next + CONTEXT);
        (start, cut) = (next - CONTEXT, next);
    }
    pieces.push(start..width);
    pieces
}

/// A cut between columns `earliest` and `latest`: the middle of the widest run of blank
/// columns there (the later one of equal runs: fewer pieces), else `latest`; on a whole frame.
fn best_cut(inked: &[bool], earliest: u32, latest: u32, per_frame: u32) -> u32 {
    let mut best: Option<(u32, u32)> = None; // (run length, middle)
    let mut x = earliest;
    while x < latest {
        if inked[x as usize] {
            x += 1;
            continue;
        }
        let from = x;
        while x < latest && !inked[x as usize] {
            x += 1;
        }
        if best.is_none_or(|(len, _)| x - from >= len) {
            best = Some((x - from, (from + x) / 2));
        }
    }
    let at = best.map_or(latest, |(_, middle)| middle);
    (at - at % per_frame).max(earliest.div_ceil(per_frame) * per_frame).min(latest)
}

/// One line's frames (`[T, classes]`, T = the crop's width / `per_frame` rounded up) from its
/// pieces' (`frames[i]`: the output of the piece `pieces[i]` of [`plan`], one frame per
/// `per_frame` columns from the piece's start; frames past its end, from padding, are not used).
pub(crate) fn stitch(pieces: &[Range<u32>], frames: &[ArrayView2<'_, f32>], per_frame: u32) -> Array2<f32> {
    let frame = |column: u32| (column / per_frame) as usize;
    let total = pieces.last().map_or(0, |p| p.end.div_ceil(per_frame) as usize);
    let classes = frames.first().map_or(0, |f| f.ncols());
    let mut out = Array2::zeros((total, classes));
    let mut from = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let offset = frame(piece.start);
        let to = match pieces.get(i + 1) {
            Some(next) => seam(frames[i], offset, frames[i + 1], frame(next.start), frame(piece.end)).max(from),
            None => total,
        };
        let to = to.min(offset + frames[i].nrows());
        out.slice_mut(s![from..to, ..]).assign(&frames[i].slice(s![from - offset..to - offset, ..]));
        from = to;
    }
    out
}

/// The first line frame to take from piece `b` rather than piece `a`; they overlap on line
/// frames `b_start..a_end` (`a` starts at line frame `a_start`). The characters each piece reads
/// in the overlap are paired up (longest common subsequence); a seam is a frame both read as
/// blank with as few pairs as possible on its two sides (none, where the pieces agree: what
/// `a` read before it is what `b` read before it, so nothing is lost or read twice), the one
/// nearest the middle of the overlap among those. Failing a blank frame, the middle.
fn seam(a: ArrayView2<'_, f32>, a_start: usize, b: ArrayView2<'_, f32>, b_start: usize, a_end: usize) -> usize {
    let a_end = a_end.min(a_start + a.nrows()).min(b_start + b.nrows());
    let middle = (b_start + a_end) / 2;
    if a_end <= b_start {
        return middle;
    }
    let read_a: Vec<usize> = (b_start..a_end).map(|t| argmax(a.row(t - a_start).iter())).collect();
    let read_b: Vec<usize> = (b_start..a_end).map(|t| argmax(b.row(t - b_start).iter())).collect();
    let pairs = paired(&characters(&read_a), &characters(&read_b));
    (0..read_a.len())
        .filter(|&i| read_a[i] == 0 && read_b[i] == 0)
        .min_by_key(|&i| {
            let split = pairs.iter().filter(|&&(at_a, at_b)| (at_a < i) != (at_b < i)).count();
            (split, (b_start + i).abs_diff(middle))
        })
        .map_or(middle, |i| b_start + i)
}

/// The characters of a frame-by-frame reading: (class, first frame) of each run that is not blank.
fn characters(read: &[usize]) -> Vec<(usize, usize)> {
    (0..read.len()).filter(|&i| read[i] != 0 && (i == 0 || read[i - 1] != read[i])).map(|i| (read[i], i)).collect()
}

/// The frames of the characters two readings share, paired in order (a longest common
/// subsequence of their classes).
fn paired(a: &[(usize, usize)], b: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut len = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            len[i][j] = if a[i].0 == b[j].0 { len[i + 1][j + 1] + 1 } else { len[i + 1][j].max(len[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i].0 == b[j].0 {
            out.push((a[i].1, b[j].1));
            (i, j) = (i + 1, j + 1);
        } else if len[i + 1][j] >= len[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Index of the largest value (the first of equal ones).
fn argmax<'a>(values: impl Iterator<Item = &'a f32>) -> usize {
    values.enumerate().fold((0, f32::NEG_INFINITY), |best, (k, &v)| if v > best.1 { (k, v) } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames `[T, 4]` that read class `seq[t]` at frame t (0: blank).
    fn frames(seq: &[usize]) -> Array2<f32> {
        let mut a = Array2::from_elem((seq.len(), 4), -5.0);
        for (t, &k) in seq.iter().enumerate() {
            a[[t, k]] = -0.01;
        }
        a
    }

    fn read(frames: &Array2<f32>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut prev = 0;
        for row in frames.rows() {
            let k = argmax(row.iter());
            if k != 0 && k != prev {
                out.push(k);
            }
            prev = k;
        }
        out
    }

    #[test]
    fn a_crop_that_fits_is_one_piece() {
        assert_eq!(plan(&vec![true; 1024], 1024, 4), vec![0..1024]);
        assert_eq!(plan(&[], 1024, 4), vec![0..0]);
    }

    #[test]
    fn pieces_fit_the_reader_overlap_by_the_context_and_cut_in_the_widest_gap() {
        // Ink everywhere but a narrow gap at 700 (a letter space) and a wide one at 800 (a word space).
        let mut inked = vec![true; 3000];
        inked[700..703].fill(false);
        inked[790..810].fill(false);
        let pieces = plan(&inked, 1024, 4);
        assert_eq!(pieces[0], 0..800 + CONTEXT, "the first cut is the middle of the word space");
        for w in pieces.windows(2) {
            assert_eq!(w[0].end - w[1].start, 2 * CONTEXT, "{pieces:?}");
        }
        assert!(pieces.iter().all(|p| p.len() <= 1024 && p.start % 4 == 0), "{pieces:?}");
        assert_eq!(pieces.last().map(|p| p.end), Some(3000));
        // With no blank column at all, a cut still advances at least half a piece.
        let solid = plan(&vec![true; 5000], 1024, 4);
        assert!(solid.len() <= 6 && solid.iter().all(|p| p.len() <= 1024), "{solid:?}");
    }

    #[test]
    fn a_reader_narrower_than_the_overlap_still_takes_whole_frames() {
        let pieces = plan(&vec![false; 2000], 258, 4);
        assert!(pieces.iter().all(|p| p.len() <= 256 && p.start % 4 == 0), "{pieces:?}");
    }

    #[test]
    fn stitching_keeps_each_character_once_when_the_pieces_place_it_frames_apart() {
        // Line frames 0..12; piece a covers frames 0..8, piece b frames 4..12. In the overlap
        // (frames 4..8) a reads a space (3) at frame 4, b reads it at frame 6: a seam in the
        // middle (frame 6) would keep both.
        let a = frames(&[1, 0, 2, 0, 3, 0, 0, 0]);
        let b = frames(&[0, 0, 3, 0, 1, 0, 2, 0]);
        let line = stitch(&[0..32, 16..48], &[a.view(), b.view()], 4);
        assert_eq!(line.nrows(), 12);
        assert_eq!(read(&line), vec![1, 2, 3, 1, 2]);
        // b misreads a glyph cut at its left edge (frame 4): it is not taken.
        let b = frames(&[2, 0, 3, 0, 1, 0, 2, 0]);
        assert_eq!(read(&stitch(&[0..32, 16..48], &[a.view(), b.view()], 4)), vec![1, 2, 3, 1, 2]);
    }

    #[test]
    fn stitching_pieces_that_read_the_same_gives_the_same_frames() {
        let seq = [1, 0, 2, 2, 0, 3, 0, 1, 0, 0, 2, 0, 3, 3, 0, 1];
        let whole = frames(&seq);
        let pieces = [0..40, 24..64];
        let parts: Vec<Array2<f32>> =
            pieces.iter().map(|p| whole.slice(s![p.start as usize / 4..p.end as usize / 4, ..]).to_owned()).collect();
        let views: Vec<ArrayView2<'_, f32>> = parts.iter().map(|p| p.view()).collect();
        assert_eq!(stitch(&pieces, &views, 4), whole);
    }
}
