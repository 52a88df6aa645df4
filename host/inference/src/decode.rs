//! Uploaded bytes to page images: type sniffing, size limits checked before decoding, EXIF
//! orientation, multi-page TIFF and PDF rasterization, every page or just one (a TIFF directory
//! or a PDF page is decoded only when asked for).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::error::{Error, Result};

/// Limits on what [`decode_pages`] and [`decode_page`] accept; every check runs before the
/// pixels are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Widest page in pixels: stops absurd aspect ratios (a 1 x 10^6 strip) that pass the pixel cap.
    pub max_width: u32,
    /// Tallest page in pixels, for the same reason as `max_width`.
    pub max_height: u32,
    /// Most pixels per page: stops decompression bombs (a few KB of PNG/TIFF that claim to be
    /// 100000x100000 and would need 30 GB) before any buffer is allocated.
    pub max_pixels: u64,
    /// Most pages per file: stops a small multi-page TIFF/PDF from costing hours of inference.
    pub max_pages: usize,
    /// Resolution PDF pages are rasterized at; bounds the pixels a tiny PDF can expand to
    /// (still checked against the pixel caps per page).
    pub pdf_dpi: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_width: 10_000, max_height: 10_000, max_pixels: 40_000_000, max_pages: 50, pdf_dpi: 150 }
    }
}

impl DecodeLimits {
    fn check(&self, width: u64, height: u64) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::InvalidImage(format!("the page is {width}x{height} pixels")));
        }
        if width > u64::from(self.max_width)
            || height > u64::from(self.max_height)
            || width.saturating_mul(height) > self.max_pixels
        {
            return Err(Error::ImageTooLarge {
                width,
                height,
                max_width: self.max_width,
                max_height: self.max_height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }

    fn check_pages(&self, pages: usize) -> Result<()> {
        if pages > self.max_pages {
            return Err(Error::TooManyPages { pages, max: self.max_pages });
        }
        Ok(())
    }

    /// Allocation cap handed to the decoders themselves, as a second line of defence:
    /// the largest page at 16 bits per channel RGBA.
    fn max_alloc(&self) -> u64 {
        self.max_pixels.saturating_mul(8)
    }
}

/// The MIME type of `bytes` by their magic number, for the types [`decode_pages`] accepts.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let b = bytes;
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else if b.starts_with(b"BM") && b.len() >= 26 {
        Some("image/bmp")
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else if b.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Decodes an uploaded file into RGB pages (one for a plain image, several for TIFF and PDF).
pub fn decode_pages(bytes: &[u8], limits: &DecodeLimits) -> Result<Vec<RgbImage>> {
    decode(bytes, limits, Wanted::All)
}

/// Decodes page `index` (0-based) of an uploaded file and no other, or `None` past the last
/// page. The whole file is checked as [`decode_pages`] checks it (page count, every page's
/// size), so a page comes back exactly when `decode_pages` would give it, pixel for pixel.
pub fn decode_page(bytes: &[u8], index: usize, limits: &DecodeLimits) -> Result<Option<RgbImage>> {
    Ok(decode(bytes, limits, Wanted::One(index))?.pop())
}

/// Which pages a decode renders; the others are only checked against the limits.
#[derive(Debug, Clone, Copy)]
enum Wanted {
    All,
    One(usize),
}

impl Wanted {
    fn includes(self, index: usize) -> bool {
        match self {
            Wanted::All => true,
            Wanted::One(wanted) => index == wanted,
        }
    }
}

fn decode(bytes: &[u8], limits: &DecodeLimits, wanted: Wanted) -> Result<Vec<RgbImage>> {
    let single = |format| if wanted.includes(0) { decode_single(bytes, format, limits) } else { Ok(Vec::new()) };
    match sniff(bytes) {
        Some("image/png") => single(ImageFormat::Png),
        Some("image/jpeg") => single(ImageFormat::Jpeg),
        Some("image/webp") => single(ImageFormat::WebP),
        Some("image/bmp") => single(ImageFormat::Bmp),
        Some("image/tiff") => decode_tiff(bytes, limits, wanted),
        Some("application/pdf") => decode_pdf(bytes, limits, wanted),
        _ => Err(Error::UnsupportedMediaType(
            "the file is not a supported type; send PNG, JPEG, WebP, BMP, TIFF or PDF".into(),
        )),
    }
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidImage(e.to_string())
}

fn decode_single(bytes: &[u8], format: ImageFormat, limits: &DecodeLimits) -> Result<Vec<RgbImage>> {
    if format == ImageFormat::Png && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        // The size sits at a fixed place in the first chunk: refuse a bomb before any parsing.
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        limits.check(u64::from(be(&bytes[16..20])), u64::from(be(&bytes[20..24])))?;
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Only the header is parsed here; our own size check below runs before any pixel is decoded,
    // and the decoder's limits are set after it as a second line of defence.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(invalid)?;
    let (w, h) = decoder.dimensions();
    limits.check(u64::from(w), u64::from(h))?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_width);
    decoder_limits.max_image_height = Some(limits.max_height);
    decoder_limits.max_alloc = Some(limits.max_alloc());
    decoder.set_limits(decoder_limits).map_err(invalid)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    img.apply_orientation(orientation);
    Ok(vec![img.into_rgb8()])
}

fn decode_tiff(bytes: &[u8], limits: &DecodeLimits, wanted: Wanted) -> Result<Vec<RgbImage>> {
    use tiff::decoder::{Decoder, Limits};

    let mut tiff_limits = Limits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(limits.max_alloc()).unwrap_or(usize::MAX);
    // The tiff crate reads the first directory before it accepts limits: refuse directories
    // whose entries claim more data than the file holds before it gets to allocate for them.
    tiff_directories_fit(bytes, limits.max_pages)?;
    // First pass: walk the directories only (no pixel data), counting pages and checking sizes.
    let mut dec = Decoder::new(Cursor::new(bytes)).map_err(invalid)?.with_limits(tiff_limits);
    let mut pages = 0usize;
    loop {
        pages += 1;
        limits.check_pages(pages)?;
        let (w, h) = dec.dimensions().map_err(invalid)?;
        limits.check(u64::from(w), u64::from(h))?;
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(invalid)?;
    }
    // Second pass: decode the wanted pages, seeking to each one's directory (the first pass
    // recorded where they are) without reading the others' pixel data.
    let mut out = Vec::new();
    for i in (0..pages).filter(|&i| wanted.includes(i)) {
        dec.seek_to_image(i).map_err(invalid)?;
        let (w, h) = dec.dimensions().map_err(invalid)?;
        let color = dec.colortype().map_err(invalid)?;
        let data = dec.read_image().map_err(invalid)?;
        out.push(tiff_to_rgb(w, h, color, data)?);
    }
    Ok(out)
}

/// Walks the TIFF (or BigTIFF) directories and checks that every entry's values fit in the
/// file: a tiny file claiming a huge value count is refused before any decoder allocates.
fn tiff_directories_fit(bytes: &[u8], max_pages: usize) -> Result<()> {
    let bad = |m: &str| Error::InvalidImage(format!("TIFF: {m}"));
    let little = match bytes.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Err(bad("not a TIFF header")),
    };
    let read = |at: usize, n: usize| -> Result<u64> {
        let b = bytes
            .get(at..at.checked_add(n).ok_or_else(|| bad("offset overflow"))?)
            .ok_or_else(|| bad("truncated file"))?;
        Ok(b.iter()
            .enumerate()
            .fold(0u64, |acc, (i, &x)| if little { acc | u64::from(x) << (8 * i) } else { acc << 8 | u64::from(x) }))
    };
    let big = match read(2, 2)? {
        42 => false,
        43 => true,
        _ => return Err(bad("not a TIFF header")),
    };
    let (count_len, entry_len, value_len) = if big { (8, 20, 8) } else { (2, 12, 4) };
    let mut offset = if big { read(8, 8)? } else { read(4, 4)? };
    let mut seen = std::collections::HashSet::new();
    while offset != 0 {
        // A loop or more directories than pages allowed: stop (the page limit reports it later).
        if !seen.insert(offset) || seen.len() > max_pages + 1 {
            break;
        }
        let at = usize::try_from(offset).map_err(|_| bad("offset overflow"))?;
        let entries = read(at, count_len)?;
        let first = at + count_len;
        for i in 0..entries {
            let e = first + usize::try_from(i).map_err(|_| bad("too many entries"))? * entry_len;
            let kind = read(e + 2, 2)?;
            let count = read(e + 4, value_len)?;
            let size = match kind {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                _ => 8,
            };
            if count.saturating_mul(size) > bytes.len() as u64 {
                return Err(bad("a directory entry claims more data than the file holds"));
            }
        }
        offset = read(first + usize::try_from(entries).map_err(|_| bad("too many entries"))? * entry_len, value_len)?;
    }
    Ok(())
}

fn tiff_to_rgb(w: u32, h: u32, color: tiff::ColorType, data: tiff::decoder::DecodingResult) -> Result<RgbImage> {
    use tiff::ColorType as C;
    use tiff::decoder::DecodingResult as D;

    let n = w as usize * h as usize;
    // Samples as 8-bit values (16-bit samples keep their high byte).
    let samples: Vec<u8> = match data {
        D::U8(v) => v,
        D::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => {
            return Err(Error::InvalidImage(format!("unsupported TIFF sample format ({color:?})")));
        }
    };
    let channels = match color {
        C::Gray(1) => {
            // Bilevel: packed bits, rows padded to whole bytes, 1 = white (BlackIsZero).
            let row = (w as usize).div_ceil(8);
            if samples.len() < row * h as usize {
                return Err(Error::InvalidImage("truncated TIFF image data".into()));
            }
            let mut img = RgbImage::new(w, h);
            for (x, y, p) in img.enumerate_pixels_mut() {
                let byte = samples[y as usize * row + x as usize / 8];
                let v = if byte & (0x80 >> (x % 8)) != 0 { 255 } else { 0 };
                *p = image::Rgb([v, v, v]);
            }
            return Ok(img);
        }
        C::Gray(8 | 16) => 1,
        C::GrayA(8 | 16) => 2,
        C::RGB(8 | 16) => 3,
        C::RGBA(8 | 16) => 4,
        other => {
            return Err(Error::InvalidImage(format!("unsupported TIFF colour type {other:?}")));
        }
    };
    if samples.len() < n * channels {
        return Err(Error::InvalidImage("truncated TIFF image data".into()));
    }
    let rgb: Vec<u8> = match channels {
        1 | 2 => samples.chunks_exact(channels).take(n).flat_map(|p| [p[0]; 3]).collect(),
        _ => samples.chunks_exact(channels).take(n).flat_map(|p| [p[0], p[1], p[2]]).collect(),
    };
    RgbImage::from_raw(w, h, rgb).ok_or_else(|| Error::InvalidImage("bad TIFF buffer size".into()))
}

fn decode_pdf(bytes: &[u8], limits: &DecodeLimits, wanted: Wanted) -> Result<Vec<RgbImage>> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::{LoadPdfError, Pdf};
    use hayro::vello_cpu::color::palette::css::WHITE;
    use hayro::{PixmapSettings, RenderCache, RenderSettings};

    let pdf = Pdf::new(bytes.to_vec()).map_err(|e| match e {
        LoadPdfError::Decryption(_) => Error::InvalidImage("encrypted PDFs are not supported".into()),
        LoadPdfError::Invalid => Error::InvalidImage("not a readable PDF".into()),
    })?;
    let pages = pdf.pages();
    limits.check_pages(pages.len())?;
    if pages.is_empty() {
        return Err(Error::InvalidImage("the PDF has no pages".into()));
    }
    let scale = limits.pdf_dpi as f32 / 72.0;
    // Check every page's pixel size before rendering any.
    for page in pages.iter() {
        let (w, h) = page.render_dimensions();
        let (w, h) = ((w * scale) as u64, (h * scale) as u64);
        limits.check(w, h)?;
        if w > u64::from(u16::MAX) || h > u64::from(u16::MAX) {
            return Err(Error::ImageTooLarge {
                width: w,
                height: h,
                max_width: limits.max_width,
                max_height: limits.max_height,
                max_pixels: limits.max_pixels,
            });
        }
    }
    let cache = RenderCache::new();
    let interpreter = InterpreterSettings::default();
    let render = RenderSettings::default();
    let pixmap = PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE };
    let mut out = Vec::new();
    for (i, page) in pages.iter().enumerate().filter(|&(i, _)| wanted.includes(i)) {
        // The renderer is young pure-Rust code: a hostile file must fail the job, not the worker.
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hayro::render(page, &cache, &interpreter, &render, &pixmap)
        }))
        .map_err(|_| Error::InvalidImage(format!("PDF page {} could not be rendered", i + 1)))?;
        let (w, h) = (u32::from(rendered.width()), u32::from(rendered.height()));
        // An opaque white background makes premultiplied RGBA equal to plain RGBA.
        let rgba = rendered.data_as_u8_slice();
        let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        out.push(RgbImage::from_raw(w, h, rgb).ok_or_else(|| invalid("bad PDF page buffer"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiff_claiming_more_data_than_it_holds_is_refused_before_decoding() {
        // Found by the decode_upload fuzz target: 218 bytes whose first directory claims a huge
        // value count, which made the tiff crate reserve up to 256 MiB before our limits applied.
        let bytes = include_bytes!("../../../fuzz/regressions/decode_upload/tiff-first-ifd-alloc-before-limits.tiff");
        let err = decode_pages(bytes, &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidImage(ref m) if m.contains("claims more data")), "{err}");
    }

    /// Two pages of different sizes and pixels, as an RGB TIFF.
    fn two_page_tiff() -> Vec<u8> {
        use tiff::encoder::{TiffEncoder, colortype::RGB8};
        let mut bytes = Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut bytes).unwrap();
        for (w, h) in [(40, 30), (24, 50)] {
            let page = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8 * 6, y as u8 * 5, (x ^ y) as u8]));
            enc.write_image::<RGB8>(w, h, page.as_raw()).unwrap();
        }
        bytes.into_inner()
    }

    /// Two pages of different sizes (2x3 in and 3x2 in), each with a coloured bar, no fonts.
    fn two_page_pdf() -> Vec<u8> {
        let page = |size: &str, contents: u32| {
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size}] /Contents {contents} 0 R >>")
        };
        let stream = |ops: &str| format!("<< /Length {} >>\nstream\n{ops}\nendstream", ops.len());
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_owned(),
            page("144 216", 5),
            page("216 144", 6),
            stream("1 0 0 rg 20 100 100 40 re f"),
            stream("0 0 1 rg 30 20 40 100 re f"),
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for (i, o) in objects.iter().enumerate() {
            xref.push_str(&format!("{:010} 00000 n \n", pdf.len()));
            pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let start = pdf.len();
        pdf.extend_from_slice(xref.as_bytes());
        pdf.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n", objects.len() + 1).as_bytes(),
        );
        pdf
    }

    #[test]
    fn one_page_of_a_multi_page_file_is_the_page_decode_pages_gives() {
        let limits = DecodeLimits::default();
        for (kind, bytes) in [("TIFF", two_page_tiff()), ("PDF", two_page_pdf())] {
            let pages = decode_pages(&bytes, &limits).unwrap();
            assert_eq!(pages.len(), 2, "{kind}");
            assert_ne!(pages[0].dimensions(), pages[1].dimensions(), "{kind}");
            for (i, page) in pages.iter().enumerate() {
                assert!(page.pixels().any(|p| p.0 != [255; 3]), "{kind} page {i} is blank");
                assert!(decode_page(&bytes, i, &limits).unwrap().as_ref() == Some(page), "{kind} page {i}");
            }
        }
    }

    #[test]
    fn a_page_past_the_end_is_none_and_the_whole_file_is_still_checked() {
        let limits = DecodeLimits::default();
        let mut png = Cursor::new(Vec::new());
        RgbImage::new(8, 8).write_to(&mut png, ImageFormat::Png).unwrap();
        let png = png.into_inner();
        assert_eq!(decode_page(&png, 0, &limits).unwrap().map(|p| p.dimensions()), Some((8, 8)));
        for (kind, bytes, past) in [("PNG", png, 1), ("TIFF", two_page_tiff(), 2), ("PDF", two_page_pdf(), 2)] {
            assert!(decode_page(&bytes, past, &limits).unwrap().is_none(), "{kind}");
            assert!(decode_page(&bytes, usize::MAX, &limits).unwrap().is_none(), "{kind}");
        }
        // A file decode_pages refuses gives no page either, even one that alone would pass.
        let one_page = DecodeLimits { max_pages: 1, ..limits };
        for bytes in [two_page_tiff(), two_page_pdf()] {
            let err = decode_page(&bytes, 0, &one_page).unwrap_err();
            assert!(matches!(err, Error::TooManyPages { pages: 2, max: 1 }), "{err}");
        }
        // The TIFF's second page is 24x50: over a 45 px height cap, page 0 (40x30) is refused too.
        let short = DecodeLimits { max_height: 45, ..limits };
        assert!(matches!(decode_page(&two_page_tiff(), 0, &short), Err(Error::ImageTooLarge { .. })));
    }

    #[test]
    fn sniff_knows_each_accepted_type_and_nothing_else() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), Some("image/bmp"));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some("image/tiff"));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some("image/tiff"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn limits_refuse_oversized_and_empty_pages() {
        let l = DecodeLimits::default();
        assert!(l.check(10_000, 4_000).is_ok());
        assert!(matches!(l.check(10_001, 10), Err(Error::ImageTooLarge { .. })));
        assert!(matches!(l.check(8_000, 8_000), Err(Error::ImageTooLarge { .. })));
        assert!(matches!(l.check(0, 10), Err(Error::InvalidImage(_))));
        assert!(matches!(l.check_pages(51), Err(Error::TooManyPages { pages: 51, max: 50 })));
    }
}
