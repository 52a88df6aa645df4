// End-to-end test of the review UI in a real browser: Playwright (playwright-core) driving
// Debian's Chromium against the real ocr-server on embedded defaults, with the real models.
// Run by scripts/ui-test.sh, which starts the server and sets OCR_UI_TEST_URL.
//
// Flow: sign in with a tenant id → upload en_invoice.png with the file input (and two more
// files by drag-and-drop) → wait for detection → move one box, delete another, save → the
// server holds the edit → a stale save shows the conflict message → run recognition → read the
// text → correct a line and see it kept as a human edit → download the text.
// Screenshots of each screen go to OCR_UI_TEST_OUT (default ui/test-output); their paths are
// printed as test diagnostics.

import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const BASE = process.env.OCR_UI_TEST_URL;
const OUT = path.resolve(process.env.OCR_UI_TEST_OUT ?? path.join(repo, 'ui/test-output'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TENANT = `ui-${Date.now().toString(36)}`;
const fixture = (name) => path.join(repo, 'tests/fixtures', name);
const WAIT = 240_000;

let browser;
let page;
let jobId;
let shots = 0;
const pageErrors = [];

/** The API as another client of the same tenant (to check what the UI stored). */
const api = (p, init = {}) => fetch(BASE + p, { ...init, headers: { 'X-Tenant-Id': TENANT, ...(init.headers ?? {}) } });

async function shot(t, name) {
  const file = path.join(OUT, `${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  t.diagnostic(`screenshot: ${file}`);
}

const centre = (b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

before(async () => {
  assert.ok(BASE, 'OCR_UI_TEST_URL must name the running server (scripts/ui-test.sh sets it)');
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 820 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of (400|401|404|409|412)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
});

test('sign-in refuses a malformed tenant id in plain words, then signs in', async (t) => {
  await page.goto(`${BASE}/ui/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot(t, 'sign-in');
  await page.fill('#signin-tenant', 'not a valid tenant!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /tenant/i);
  await page.fill('#signin-tenant', TENANT);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  // Remembered per browser: a reload stays signed in.
  await page.reload();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  assert.match(await page.locator('.who').innerText(), new RegExp(TENANT));
});

test('upload by file input and by drag-and-drop: one job per file, detection runs', async (t) => {
  await page.locator('#upload-lang').selectOption('en');
  await page.setInputFiles('#upload-input', fixture('en_invoice.png'));
  const row = page.locator('tr[data-job]', { hasText: 'en_invoice.png' });
  await row.waitFor();
  jobId = await row.getAttribute('data-job');

  // Two files dropped at once: two more jobs.
  const files = ['vi_paragraph.png', 'en_rotated_15deg.png'].map((n) => ({ name: n, b64: readFileSync(fixture(n)).toString('base64') }));
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: 'image/png' }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  await page.locator('tr[data-job]').nth(2).waitFor();
  assert.equal(await page.locator('tr[data-job]').count(), 3);

  // Live updates: the list follows the job to DETECT_DONE without a reload.
  await row.locator('[data-status="DETECT_DONE"]').waitFor({ timeout: WAIT });
  await page.locator('tr[data-job] [data-status="DETECT_DONE"]').nth(2).waitFor({ timeout: WAIT });
  assert.match(await row.innerText(), /en_invoice\.png/);
  await shot(t, 'jobs');
});

test('review: move one box, delete another, save; the server has the edit', async (t) => {
  const before = await (await api(`/v1/ocr/jobs/${jobId}/detect`)).json();
  const boxes = before.pages[0].boxes;
  assert.ok(boxes.length >= 20, `the invoice has many lines, got ${boxes.length} boxes`);

  await page.locator(`tr[data-job="${jobId}"]`).getByRole('link', { name: 'Review boxes' }).click();
  const polys = page.locator('polygon.box');
  await polys.nth(boxes.length - 1).waitFor();
  assert.equal(await polys.count(), boxes.length);
  await page.waitForFunction(() => document.querySelector('.page-svg image')?.getAttribute('href')?.startsWith('blob:'));
  await shot(t, 'review');

  // Scale between screen and page pixels.
  const svgBox = await page.locator('svg.page-svg').boundingBox();
  const scale = svgBox.width / before.pages[0].width;

  // Move box 0 by dragging it.
  const b0 = centre(await polys.nth(0).boundingBox());
  const [dx, dy] = [36, 24];
  await page.mouse.move(b0.x, b0.y);
  await page.mouse.down();
  await page.mouse.move(b0.x + dx / 2, b0.y + dy / 2, { steps: 4 });
  await page.mouse.move(b0.x + dx, b0.y + dy, { steps: 4 });
  await page.mouse.up();

  // Select the last box on the canvas and delete it with the Delete key.
  const last = boxes.length - 1;
  const bl = centre(await polys.nth(last).boundingBox());
  await page.mouse.click(bl.x, bl.y);
  assert.equal(await page.locator('polygon.box.selected').getAttribute('data-index'), String(last));
  await shot(t, 'review-selected');
  await page.keyboard.press('Delete');
  assert.equal(await polys.count(), boxes.length - 1);

  // Undo and redo the deletion, then save with the S key.
  await page.keyboard.press('Control+z');
  assert.equal(await polys.count(), boxes.length);
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await polys.count(), boxes.length - 1);
  await page.keyboard.press('s');
  await page.getByRole('status').filter({ hasText: 'Saved (revision' }).waitFor();

  const res = await api(`/v1/ocr/jobs/${jobId}/detect`);
  const after = await res.json();
  const saved = after.pages[0].boxes;
  assert.equal(saved.length, boxes.length - 1, 'one box fewer on the server');
  assert.ok(after.revision > before.revision);
  for (let c = 0; c < 4; c++) {
    const [x0, y0] = boxes[0].points[c];
    const [x1, y1] = saved[0].points[c];
    assert.ok(Math.abs(x1 - x0 - dx / scale) < 2 && Math.abs(y1 - y0 - dy / scale) < 2,
      `corner ${c} moved by (${(x1 - x0).toFixed(1)}, ${(y1 - y0).toFixed(1)}), expected (${(dx / scale).toFixed(1)}, ${(dy / scale).toFixed(1)})`);
  }
  const gone = JSON.stringify(boxes[last].points);
  assert.ok(!saved.some((b) => JSON.stringify(b.points) === gone), 'the deleted box is gone');
  assert.deepEqual(saved.slice(1), boxes.slice(1, last), 'the other boxes are untouched');
});

test('a stale save shows who won and reload brings their version', async (t) => {
  // Another reviewer saves first (from the current ETag), adding a box.
  const r = await api(`/v1/ocr/jobs/${jobId}/detect`);
  const etag = r.headers.get('etag');
  const current = await r.json();
  const pages = current.pages.map((p) => ({ ...p, boxes: [...p.boxes, { points: [[10, 10], [60, 10], [60, 30], [10, 30]], score: 1 }] }));
  const other = await api(`/v1/ocr/jobs/${jobId}/detect`, { method: 'PATCH', headers: { 'If-Match': etag, 'Content-Type': 'application/json' }, body: JSON.stringify({ pages }) });
  assert.equal(other.status, 200);

  // This reviewer nudges a box and saves from the old revision.
  await page.locator('polygon.box').nth(0).click();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'Someone else saved these boxes first — reload to see their version' }).waitFor();
  await shot(t, 'review-conflict');
  await alert.getByRole('button', { name: 'Reload' }).click();
  await page.getByRole('status').filter({ hasText: 'Reloaded' }).waitFor();
  assert.equal(await page.locator('polygon.box').count(), pages[0].boxes.length, 'the other reviewer\'s box is shown');
});

test('keyboard help lists the shortcuts', async (t) => {
  await page.locator('.viewport').focus();
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard and mouse' });
  await dialog.waitFor();
  const text = await dialog.innerText();
  for (const k of ['Ctrl+Z', 'Delete', 'Run recognition', 'Split', 'Merge', 'Zoom']) assert.ok(text.includes(k), `${k} missing from the help`);
  await shot(t, 'review-help');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

test('editing tools on another job: add, split, merge, resize, rotate, zoom; saved inside the page', async (t) => {
  const { jobs } = await (await api('/v1/ocr/jobs')).json();
  const other = jobs.find((j) => j.file?.name === 'vi_paragraph.png').job_id;
  const before = await (await api(`/v1/ocr/jobs/${other}/detect`)).json();
  const { width, height, boxes } = before.pages[0];
  await page.goto(`${BASE}/ui/#/jobs/${other}/review`);
  const polys = page.locator('polygon.box');
  await polys.nth(boxes.length - 1).waitFor();
  const k = boxes.length;

  // Zoom in with the keyboard, then fit again.
  await page.locator('.viewport').focus();
  const zoom = async () => Number((await page.locator('.zoom-label').innerText()).replace('%', ''));
  const z0 = await zoom();
  await page.keyboard.press('+');
  assert.ok((await zoom()) > z0);
  await page.keyboard.press('0');
  assert.equal(await zoom(), z0);

  // N, then draw a rectangle in the middle of the page.
  const svg = await page.locator('svg.page-svg').boundingBox();
  await page.keyboard.press('n');
  const [x0, y0] = [svg.x + svg.width * 0.35, svg.y + svg.height * 0.4];
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + 120, y0 + 40, { steps: 5 });
  await page.mouse.up();
  assert.equal(await polys.count(), k + 1);
  // Split it in two (X), then merge the halves back (M).
  await page.keyboard.press('x');
  assert.equal(await polys.count(), k + 2);
  assert.equal(await page.locator('polygon.box.selected').count(), 2);
  await page.keyboard.press('m');
  assert.equal(await polys.count(), k + 1);
  // Resize from the bottom-right corner, then rotate with the round handle.
  const corner = centre(await page.locator('.handle.corner').nth(2).boundingBox());
  await page.mouse.move(corner.x, corner.y);
  await page.mouse.down();
  await page.mouse.move(corner.x + 30, corner.y + 12, { steps: 4 });
  await page.mouse.up();
  const knob = centre(await page.locator('.handle.rotate').boundingBox());
  await page.mouse.move(knob.x, knob.y);
  await page.mouse.down();
  await page.mouse.move(knob.x + 25, knob.y + 4, { steps: 4 });
  await page.mouse.up();
  await shot(t, 'review-tools');
  await page.keyboard.press('s');
  await page.getByRole('status').filter({ hasText: 'Saved (revision' }).waitFor();

  const saved = (await (await api(`/v1/ocr/jobs/${other}/detect`)).json()).pages[0].boxes;
  assert.equal(saved.length, k + 1);
  assert.deepEqual(saved.slice(0, k), boxes, 'the detected boxes are untouched');
  const q = saved[k].points;
  assert.ok(q.every(([x, y]) => x >= 0 && y >= 0 && x <= width && y <= height), `inside the page: ${JSON.stringify(q)}`);
  const angle = (Math.atan2(q[1][1] - q[0][1], q[1][0] - q[0][0]) * 180) / Math.PI;
  assert.ok(Math.abs(angle) > 3, `rotated: top edge at ${angle.toFixed(1)}°`);
  const side = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const scale = svg.width / width;
  assert.ok(side(q[0], q[1]) > (120 + 20) / scale, `resized wider: ${side(q[0], q[1]).toFixed(1)} px`);
  assert.equal(saved[k].score, 1, 'a box a person adds scores 1');

  // Undo everything back to the detected boxes.
  for (let i = 0; i < 5; i++) await page.keyboard.press('Control+z');
  assert.equal(await polys.count(), k);
  await page.goto(`${BASE}/ui/#/jobs/${jobId}/review`);
  await page.locator('polygon.box').first().waitFor();
});

test('run recognition, read the text, correct a line, download', async (t) => {
  await page.getByRole('button', { name: 'Run recognition' }).click();
  await page.waitForURL(/#\/jobs\/.*\/result$/, { timeout: WAIT });
  const rows = page.locator('.line-row');
  await rows.first().waitFor();
  const result = await (await api(`/v1/ocr/jobs/${jobId}/result`)).json();
  assert.equal(await rows.count(), result.pages[0].lines.length);
  const texts = await page.locator('.line-row input').evaluateAll((els) => els.map((e) => e.value));
  const all = texts.join('\n');
  for (const word of ['Invoice No', 'Northwind', 'Greenfield', 'Subtotal', 'Total due']) {
    assert.ok(all.includes(word), `${word} missing from the recognized text:\n${all}`);
  }
  // Recognition ran on the saved boxes: the moved box (off the title now) does not read the
  // title any more, and the deleted box (the last line) was not recognized.
  assert.ok(!texts[0].includes('INVOICE'), `the moved box still reads ${texts[0]}`);
  assert.ok(!all.includes('Thank you for your business'), `the deleted line was recognized:\n${all}`);
  assert.equal(await page.locator('#page-text').inputValue(), result.pages[0].text);
  // Every line is coloured by its confidence.
  const levels = await rows.evaluateAll((els) => els.map((e) => ['conf-high', 'conf-medium', 'conf-low'].find((c) => e.classList.contains(c))));
  assert.ok(levels.every(Boolean));
  await page.waitForFunction(() => document.querySelector('.result-svg image')?.getAttribute('href')?.startsWith('blob:'));
  await shot(t, 'result');

  // Correct a line (the model reads "Bill to:" as "Bin to:"; any other line when it does not):
  // kept as a human edit, the machine reading beside it.
  let n = texts.findIndex((x) => x === 'Bin to:');
  if (n < 0) n = 1;
  const machine = texts[n];
  const corrected = machine === 'Bin to:' ? 'Bill to:' : `${machine} (checked)`;
  const input = page.locator(`.line-row[data-line="${n}"] input`);
  await input.fill(corrected);
  await input.press('Enter');
  await page.locator(`.line-row[data-line="${n}"][data-human="true"] .edited`).waitFor();
  const stored = await (await api(`/v1/ocr/jobs/${jobId}/result`)).json();
  assert.equal(stored.pages[0].lines[n].text, corrected);
  assert.equal(stored.pages[0].lines[n].machine_text, machine);
  assert.ok(stored.pages[0].lines.every((l, i) => i === n || l.machine_text === undefined), 'only that line is a human edit');
  await page.locator(`.line-row[data-line="${n}"] .edited`).hover();
  assert.ok((await page.locator('#page-text').inputValue()).includes(corrected));
  await shot(t, 'result-edited');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download text' }).click()]);
  const file = await download.path();
  assert.ok(readFileSync(file, 'utf8').includes(corrected));
  assert.equal(download.suggestedFilename(), 'en_invoice.txt');
});

test('the job list filters by status', async (t) => {
  await page.getByRole('link', { name: '← Jobs' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  await page.locator('#status-filter').selectOption('DONE');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('tr[data-job]')];
    return rows.length === 1 && rows[0].querySelector('[data-status="DONE"]');
  });
  assert.equal(await page.locator('tr[data-job]').getAttribute('data-job'), jobId);
  await shot(t, 'jobs-filtered');
});

/** A PDF with one line of Helvetica text per page (each 5.5 x 2.5 in). */
function pdf(lines) {
  const n = lines.length;
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${lines.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  for (const [i, text] of lines.entries()) {
    const content = `BT /F1 24 Tf 36 90 Td (${text}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 396 180] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

test('a multi-page PDF: page thumbnails and navigation', async (t) => {
  await page.goto(`${BASE}/ui/#/jobs`);
  await page.locator('#status-filter').selectOption('');
  await page.setInputFiles('#upload-input', { name: 'two-pages.pdf', mimeType: 'application/pdf', buffer: pdf(['First page of the report', 'Second page, more text']) });
  const row = page.locator('tr[data-job]', { hasText: 'two-pages.pdf' });
  await row.locator('[data-status="DETECT_DONE"]').waitFor({ timeout: WAIT });
  assert.equal(await row.locator('td.num').innerText(), '2', 'two pages in the list');
  const id = await row.getAttribute('data-job');
  const detect = await (await api(`/v1/ocr/jobs/${id}/detect`)).json();
  assert.equal(detect.pages.length, 2);
  await row.getByRole('link', { name: 'Review boxes' }).click();
  const thumbs = page.getByRole('navigation', { name: 'Pages' }).getByRole('button');
  await thumbs.nth(1).waitFor();
  assert.equal(await thumbs.count(), 2);
  await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].every((i) => i.complete && i.naturalWidth > 0));
  await page.locator('polygon.box').first().waitFor();
  assert.equal(await page.locator('polygon.box').count(), detect.pages[0].boxes.length);
  await page.waitForFunction(() => document.querySelector('.page-svg image')?.getAttribute('href')?.startsWith('blob:'));
  const first = await page.locator('.page-svg image').getAttribute('href');
  await thumbs.nth(1).click();
  await page.locator('.page-label', { hasText: 'Page 2 of 2' }).waitFor();
  assert.equal(await thumbs.nth(1).getAttribute('aria-current'), 'true');
  assert.equal(await page.locator('polygon.box').count(), detect.pages[1].boxes.length);
  // The second page's own image (never the first one's under the second page's boxes).
  await page.waitForFunction((first) => {
    const href = document.querySelector('.page-svg image')?.getAttribute('href');
    return href?.startsWith('blob:') && href !== first;
  }, first);
  await shot(t, 'review-pages');
  await page.locator('.viewport').focus();
  await page.keyboard.press('PageUp');
  await page.locator('.page-label', { hasText: 'Page 1 of 2' }).waitFor();
});

test('no script errors or blocked resources in the browser', () => {
  assert.deepEqual(pageErrors, []);
});
