//! The upload path: `sniff` (what the API accepts) and `decode_pages` (what a worker decodes)
//! on arbitrary bytes, with small limits. Never a panic that escapes, never an allocation larger
//! than the limits allow, and every decoded page within them.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;
use ocr_inference::{DecodeLimits, Error, decode_pages, sniff};

const LIMITS: DecodeLimits = DecodeLimits {
    max_width: 2000,
    max_height: 2000,
    max_pixels: 2000 * 2000,
    max_pages: 4,
    // Rasterisation resolution only scales PDF pages; the pixel caps are checked after it.
    pdf_dpi: 72,
};

/// The largest single allocation the limits justify: the decoders' own cap (`max_alloc`, the
/// largest page at 16 bits per channel RGBA = 32 MB) with room for one copy of it.
/// `FUZZ_MAX_ALLOC_MB` overrides it (to look past a known finding).
static MAX_ONE_ALLOC: AtomicUsize = AtomicUsize::new(2000 * 2000 * 8 * 2);

/// Aborts (a crash libFuzzer reports, with the input) on any allocation past `MAX_ONE_ALLOC`:
/// a decoder sizing a buffer from an untrusted header before checking it.
struct Capped;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn check(size: usize) {
    if size > MAX_ONE_ALLOC.load(Ordering::Relaxed) {
        // No allocation (and no panic machinery) from inside the allocator.
        let msg = b"decode_upload: allocation beyond the decode limits\n";
        unsafe { libc_write(msg) };
        std::process::abort();
    }
    LARGEST.fetch_max(size, Ordering::Relaxed);
}

unsafe fn libc_write(msg: &[u8]) {
    unsafe extern "C" {
        fn write(fd: i32, buf: *const u8, n: usize) -> isize;
    }
    unsafe { write(2, msg.as_ptr(), msg.len()) };
}

#[global_allocator]
static ALLOC: Capped = Capped;

/// The PDF renderer is wrapped in `catch_unwind` in `decode_pdf` on purpose (a hostile page fails
/// the job, not the worker). libfuzzer-sys's panic hook aborts on every panic, caught or not, so
/// it is replaced by one that only prints: a panic that escapes `decode_pages` still aborts in
/// libfuzzer-sys's own `catch_unwind` around this target.
fn init() {
    if let Some(mb) = std::env::var("FUZZ_MAX_ALLOC_MB").ok().and_then(|v| v.parse::<usize>().ok()) {
        MAX_ONE_ALLOC.store(mb << 20, Ordering::Relaxed);
    }
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::env::var_os("FUZZ_QUIET_CAUGHT_PANICS").is_none() {
            default(info);
        }
    }));
}

fuzz_target!(init: init(), |data: &[u8]| {
    let kind = sniff(data);
    match decode_pages(data, &LIMITS) {
        Ok(pages) => {
            assert!(kind.is_some(), "decoded a file sniff refuses");
            assert!(!pages.is_empty() && pages.len() <= LIMITS.max_pages, "{} pages", pages.len());
            for p in &pages {
                let (w, h) = p.dimensions();
                assert!(w > 0 && h > 0, "empty page {w}x{h}");
                assert!(w <= LIMITS.max_width && h <= LIMITS.max_height, "page {w}x{h} over the limits");
                assert!(u64::from(w) * u64::from(h) <= LIMITS.max_pixels, "page {w}x{h} over the pixel cap");
            }
        }
        Err(Error::UnsupportedMediaType(_)) => assert!(kind.is_none(), "sniff accepts {kind:?}, decode refuses its type"),
        Err(_) => assert!(kind.is_some(), "sniff refuses it but decode got past the type check"),
    }
});
