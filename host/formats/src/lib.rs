//! Result documents of the OCR platform, made from an [`OcrResult`]: plain text, hOCR, ALTO v4
//! and a searchable PDF (the page images with an invisible text layer).
//!
//! Owns: the layout of each format and the word boxes they share ([`words`]). Must not do I/O:
//! every function is pure and synchronous; the caller fetches the result and the page images
//! and runs [`pdf`] (CPU work: JPEG encoding) off the async runtime.
//!
//! Coordinates are the page pixels of the boxes (origin top-left). hOCR and ALTO give
//! axis-aligned boxes (the bounds of each quad); the PDF keeps the quad's angle.
//!
//! Every format reads a page in its reading order: block by block as the page's `blocks` say
//! ([`reading`]), one hOCR `ocr_carea`/`ocr_par` and one ALTO `TextBlock` per block, a table
//! row on one line of plain text. A result stored before pages had blocks reads as one block
//! of its lines in detection order.

mod alto;
mod hocr;
mod pdf;
mod words;

use std::borrow::Cow;

use ocr_core::{Block, OcrPage, OcrResult, Table};

pub use alto::alto;
pub use hocr::hocr;
pub use pdf::{PDF_DPI, pdf};
pub use words::{Word, words};

/// What a document says about where a result came from, beyond the result itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    /// Recognition language as a BCP 47 tag (`vi`, `en`), when known.
    pub lang: Option<&'a str>,
    /// Name of the uploaded file, when known (ALTO `sourceImageInformation/fileName`).
    pub file_name: Option<&'a str>,
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the result has page {page} but only {images} page image(s) were given")]
    MissingImage { page: u32, images: usize },
    #[error("page {page} is {result_size:?} in the result but its image is {image_size:?}")]
    PageSize { page: u32, result_size: (u32, u32), image_size: (u32, u32) },
    #[error("encoding page {page} as JPEG failed: {source}")]
    Jpeg { page: usize, source: image::ImageError },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Plain text in reading order: block by block, one line per recognized line, except that a
/// table's row is one line with its cells separated by tabs; pages separated by a form-feed
/// line (`\n\f\n`). A page without blocks gives [`OcrPage::text`] (its lines in detection order).
pub fn text(result: &OcrResult) -> String {
    result.pages.iter().map(page_text).collect::<Vec<_>>().join("\n\u{c}\n")
}

fn page_text(page: &OcrPage) -> String {
    let line = |i: u32| page.lines.get(i as usize).map_or("", |l| l.text.as_str());
    let mut out: Vec<String> = Vec::new();
    for block in reading(page) {
        let Some(table) = block.table else {
            out.extend(block.lines.iter().map(|&i| line(i).to_owned()));
            continue;
        };
        for row in 0..table.row_count {
            let mut cells: Vec<_> = table.cells.iter().filter(|c| c.row == row).collect();
            cells.sort_by_key(|c| c.col);
            let texts = cells.iter().map(|c| c.line_ids.iter().map(|&i| line(i)).collect::<Vec<_>>().join(" "));
            out.push(texts.collect::<Vec<_>>().join("\t"));
        }
        // Lines of the block that no cell names (none in results this platform makes).
        let in_cells: Vec<u32> = table.cells.iter().flat_map(|c| c.line_ids.iter().copied()).collect();
        out.extend(block.lines.iter().filter(|i| !in_cells.contains(i)).map(|&i| line(i).to_owned()));
    }
    out.join("\n")
}

/// A block of a page as the formats read it.
pub struct ReadBlock<'a> {
    /// The block, or `None` for the lines of a page without blocks (and for lines no block
    /// names, read last).
    pub block: Option<&'a Block>,
    /// Indexes into the page's `lines`, in reading order; each names a line that exists.
    pub lines: Vec<u32>,
    /// The block's table, for a table block.
    pub table: Option<&'a Table>,
}

/// The page's blocks in reading order (by `order`), each line once: a block naming a line
/// that does not exist or that an earlier block named skips it; lines that no block names come
/// last, as one block of their own.
pub fn reading(page: &OcrPage) -> Vec<ReadBlock<'_>> {
    let mut seen = vec![false; page.lines.len()];
    let mut blocks: Vec<&Block> = page.blocks.iter().collect();
    blocks.sort_by_key(|b| (b.order, b.id));
    let mut out = Vec::with_capacity(blocks.len() + 1);
    for block in blocks {
        let mut lines: Vec<u32> = Vec::with_capacity(block.line_ids.len());
        for &i in &block.line_ids {
            if let Some(s) = seen.get_mut(i as usize).filter(|s| !**s) {
                *s = true;
                lines.push(i);
            }
        }
        if lines.is_empty() {
            continue;
        }
        let table = (block.kind == ocr_core::BlockKind::Table)
            .then(|| page.tables.iter().find(|t| t.cells.iter().any(|c| c.line_ids.contains(&lines[0]))))
            .flatten();
        out.push(ReadBlock { block: Some(block), lines, table });
    }
    let rest: Vec<u32> = (0..page.lines.len() as u32).filter(|&i| !seen[i as usize]).collect();
    if !rest.is_empty() {
        out.push(ReadBlock { block: None, lines: rest, table: None });
    }
    out
}

/// Drops the characters XML 1.0 cannot carry (C0 controls other than tab, newline and carriage
/// return; U+FFFE, U+FFFF), which a tenant plugin could put into a line's text.
fn xml_safe(s: &str) -> Cow<'_, str> {
    let ok =
        |c: char| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if s.chars().all(ok) { Cow::Borrowed(s) } else { Cow::Owned(s.chars().filter(|&c| ok(c)).collect()) }
}

/// Integer pixel bounds `[x0, y0, x1, y1]` of a quad, widened to whole pixels and kept on the page.
fn pixel_bounds(q: &ocr_core::Quad, width: u32, height: u32) -> [u32; 4] {
    let (x0, y0, x1, y1) = ocr_core::geometry::bounds(q);
    let clamp = |v: f32, max: u32| if v.is_finite() { v.clamp(0.0, max as f32) as u32 } else { 0 };
    let (x0, y0) = (clamp(x0.floor(), width), clamp(y0.floor(), height));
    [x0, y0, clamp(x1.ceil(), width).max(x0), clamp(y1.ceil(), height).max(y0)]
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small two-page result with the cases every format must get right.

    use std::io::Write;
    use std::process::{Command, Output, Stdio};

    use ocr_core::{OcrLine, OcrPage, OcrResult};

    /// Parses XML that may have a DOCTYPE (hOCR and poppler's output do; nothing is fetched).
    pub fn parse_xml(s: &str) -> roxmltree::Document<'_> {
        let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
        roxmltree::Document::parse_with_options(s, options).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{s}"))
    }

    /// Whether a command-line tool the tests use is installed; under `CI=true` a missing one fails.
    pub fn tool(name: &str) -> bool {
        let found =
            std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(name).is_file()));
        if !found {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{name} is missing: scripts/tools.sh installs it");
            eprintln!("skipping: {name} is not installed (scripts/tools.sh installs it)");
        }
        found
    }

    /// Runs `cmd` with `input` on its standard input and collects its output.
    pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn line(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> OcrLine {
        let n = text.chars().count();
        let confs = (0..n).map(|i| 0.5 + 0.5 * (i as f32 / n.max(1) as f32)).collect::<Vec<_>>();
        let conf = if n == 0 { 1.0 } else { confs.iter().sum::<f32>() / n as f32 };
        OcrLine::recognized(text.into(), conf, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], confs)
    }

    /// A letter page with its structure: a two-column header (company left; motto and date
    /// right), a sentence, and a table of two item rows split in three boxes each. Detection
    /// order (top to bottom) interleaves the header's columns.
    pub fn structured() -> OcrResult {
        let lines = vec![
            line("CÔNG TY TNHH ABC", 60.0, 40.0, 360.0, 60.0),
            line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 480.0, 40.0, 940.0, 60.0),
            line("Số: 12/2024/CV", 120.0, 66.0, 300.0, 86.0),
            line("Độc lập - Tự do - Hạnh phúc", 560.0, 66.0, 860.0, 86.0),
            line("Bảng giá như sau", 60.0, 140.0, 400.0, 160.0),
            line("1 Bánh baget ĐT", 60.0, 200.0, 300.0, 220.0),
            line("6.000", 600.0, 200.0, 680.0, 220.0),
            line("6,000", 800.0, 200.0, 880.0, 220.0),
            line("2 Cà phê sữa", 60.0, 228.0, 260.0, 248.0),
            line("25.000", 590.0, 228.0, 680.0, 248.0),
            line("50,000", 790.0, 228.0, 880.0, 248.0),
        ];
        let page =
            OcrPage { page_index: 0, width: 1000, height: 400, lines, text: String::new(), ..Default::default() };
        let mut r = OcrResult::new(vec![page], "craftnet+asternet".into());
        ocr_layout::annotate(&mut r);
        r
    }

    /// The words of [`result`], in order, spelled out for the formats to be checked against.
    pub const WORDS: [&str; 15] =
        ["Chợ", "phiên", "thổ", "cẩm", "Sa", "Pa", "a<b", "&", "c>\"d\"", "Du", "khách", "đến", "chợ", "Total", "42"];

    /// Page 0: a Vietnamese line, a line needing escapes, a human-corrected line and an empty
    /// line; page 1: one English line.
    pub fn result() -> OcrResult {
        let mut edited = line("Du khách đến chợ", 40.0, 200.0, 440.0, 240.0);
        edited.machine_text = Some("Du khach den cho".into());
        let page0 = OcrPage {
            page_index: 0,
            width: 600,
            height: 400,
            lines: vec![
                line("Chợ phiên thổ cẩm Sa Pa", 40.0, 40.0, 560.0, 90.0),
                line("a<b & c>\"d\"", 40.0, 120.0, 300.0, 160.0),
                edited,
                line("", 40.0, 300.0, 100.0, 330.0),
            ],
            text: String::new(),
            ..Default::default()
        };
        let page1 = OcrPage {
            page_index: 1,
            width: 300,
            height: 200,
            lines: vec![line("Total 42", 20.0, 20.0, 180.0, 60.0)],
            text: String::new(),
            ..Default::default()
        };
        let mut r = OcrResult::new(vec![page0, page1], "craftnet+asternet".into());
        r.plugins = vec!["normalize-text@1.0.0".into()];
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_the_lines_in_order_with_a_form_feed_between_pages() {
        // Spelled out, not computed: the result's own `text` is built the same way.
        let want = "Chợ phiên thổ cẩm Sa Pa\na<b & c>\"d\"\nDu khách đến chợ\n\n\u{c}\nTotal 42";
        assert_eq!(text(&testing::result()), want);
    }

    #[test]
    fn plain_text_reads_column_by_column_with_a_table_row_on_one_line() {
        let want = "CÔNG TY TNHH ABC\nSố: 12/2024/CV\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\
                    Bảng giá như sau\n1 Bánh baget ĐT\t6.000\t6,000\n2 Cà phê sữa\t25.000\t50,000";
        assert_eq!(text(&testing::structured()), want);
    }

    #[test]
    fn reading_names_each_line_once_even_when_blocks_repeat_or_invent_lines() {
        let mut r = testing::structured();
        let page = &mut r.pages[0];
        page.blocks[0].line_ids.extend([2, 99]);
        page.blocks.remove(1);
        let read = reading(page);
        let mut ids: Vec<u32> = read.iter().flat_map(|b| b.lines.clone()).collect();
        assert!(read.last().unwrap().block.is_none(), "lines no block names come last");
        ids.sort();
        assert_eq!(ids, (0..11).collect::<Vec<_>>());
    }

    #[test]
    fn xml_safe_drops_only_forbidden_characters() {
        assert!(matches!(xml_safe("Chợ\t<&>"), Cow::Borrowed("Chợ\t<&>")));
        assert_eq!(xml_safe("a\u{1}b\u{c}c\u{ffff}"), "abc");
    }

    #[test]
    fn pixel_bounds_cover_the_quad_and_stay_on_the_page() {
        let q = [[10.4, 5.6], [50.2, 4.9], [50.9, 20.1], [9.8, 21.0]];
        assert_eq!(pixel_bounds(&q, 100, 100), [9, 4, 51, 21]);
        assert_eq!(pixel_bounds(&[[-5.0, -1.0], [120.0, 0.0], [120.0, 9.0], [-5.0, 9.0]], 100, 8), [0, 0, 100, 8]);
    }
}
