// End-to-end test of the pipeline screen and the review-quality panel: Playwright
// (playwright-core) driving Debian's Chromium against the real ocr-server on embedded defaults.
// Run by scripts/ui-test.sh, which starts the server and sets OCR_UI_TEST_URL.
//
// Flow: sign in with a tenant id → one job made DONE through the API (auto OCR), one of its lines
// corrected → #/pipeline from the top nav: an invalid candidate is refused inline without a
// request → a candidate with the built-in text normalizer is replayed on the finished jobs (totals
// and a report per job) and made live (v1) → an empty pipeline made live (v2) → the v1 row's
// button rolls back (v3, rollback:1) → the jobs page shows the review-quality panel.
// Screenshots go to OCR_UI_TEST_OUT (default ui/test-output), named pipeline-NN-*.png.

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
const TENANT = `uip-${Date.now().toString(36)}`;
const fixture = (name) => path.join(repo, 'tests/fixtures', name);
const WAIT = 240_000;
const NORMALIZER = '{"normalize_text": [{"plugin": "builtin.text-normalizer"}]}';

let browser;
let page;
let jobId;
let shots = 0;
const pageErrors = [];
const pipelineWrites = [];

/** The API as another client of the same tenant (to set things up and check what the UI did). */
const api = (p, init = {}) => fetch(BASE + p, { ...init, headers: { 'X-Tenant-Id': TENANT, ...(init.headers ?? {}) } });
const json = async (p, init) => {
  const r = await api(p, init);
  assert.ok(r.ok, `${init?.method ?? 'GET'} ${p} answered ${r.status}: ${await r.clone().text()}`);
  return r.json();
};

async function shot(t, name) {
  const file = path.join(OUT, `pipeline-${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  t.diagnostic(`screenshot: ${file}`);
}

/** Creates a job with auto OCR, uploads the fixture and long-polls until it is DONE. */
async function doneJob(name) {
  const { job_id: id } = await json('/v1/ocr/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ lang: 'en', auto_ocr: true }),
  });
  const form = new FormData();
  form.append('file', new Blob([readFileSync(fixture(name))], { type: 'image/png' }), name);
  await json(`/v1/ocr/jobs/${id}/upload`, { method: 'POST', body: form });
  const deadline = Date.now() + WAIT;
  let job = await json(`/v1/ocr/jobs/${id}`);
  while (job.status !== 'DONE') {
    assert.notEqual(job.status, 'FAILED', `the job failed: ${JSON.stringify(job.error)}`);
    assert.ok(Date.now() < deadline, `the job is still ${job.status}`);
    job = await json(`/v1/ocr/jobs/${id}?${new URLSearchParams({ wait: '25', since_status: job.status })}`);
  }
  return id;
}

const liveVersion = (n) => page.locator(`[data-testid=live-version][data-version="${n}"]`).waitFor();

before(async () => {
  assert.ok(BASE, 'OCR_UI_TEST_URL must name the running server (scripts/ui-test.sh sets it)');
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 820 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of (400|401|404|409|412)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (r.url().includes('/v1/pipeline') && r.method() !== 'GET') pipelineWrites.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
});

after(async () => {
  await browser?.close();
});

test('sign in; a finished job with one corrected line', async () => {
  await page.goto(`${BASE}/ui/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.fill('#signin-tenant', TENANT);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();

  jobId = await doneJob('en_invoice.png');
  const r = await api(`/v1/ocr/jobs/${jobId}/result`);
  const result = await r.json();
  const lines = result.pages[0].lines;
  assert.ok(lines.length > 0, 'the invoice has lines');
  const n = Math.max(lines.findIndex((l) => l.text === 'Bin to:'), 0);
  const text = lines[n].text === 'Bin to:' ? 'Bill to:' : `${lines[n].text} (checked)`;
  await json(`/v1/ocr/jobs/${jobId}/result`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', ...(r.headers.get('etag') ? { 'If-Match': r.headers.get('etag') } : {}) },
    body: JSON.stringify({ edits: [{ page_index: 0, line_index: n, text }] }),
  });
});

test('the pipeline screen: nothing live yet, plugins listed by hook', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pipeline' }).click();
  await page.getByRole('heading', { name: 'Pipeline', exact: true }).waitFor();
  await liveVersion(0);
  assert.equal(await page.locator('[data-testid=versions] tbody tr').count(), 0);
  await page.locator('[data-hook=normalize_text] [data-plugin="builtin.text-normalizer"]').waitFor();
  await page.locator('[data-hook=filter_boxes] [data-plugin="builtin.min-box-filter"]').waitFor();
  // Prefilled with the live pipeline.
  assert.deepEqual(JSON.parse(await page.locator('#candidate').inputValue()), await json('/v1/pipeline'));
  await shot(t, 'empty');
});

test('invalid JSON is refused inline, no request is made', async (t) => {
  await page.fill('#candidate', '{"normalize_text": [');
  await page.locator('#replay').click();
  const error = page.locator('#candidate-error');
  await error.waitFor();
  assert.match(await error.innerText(), /not valid JSON/);
  assert.equal(await page.locator('#candidate').getAttribute('aria-invalid'), 'true');
  await page.locator('#make-live').click();
  await page.fill('#candidate', '{"normalise_text": []}');
  await page.locator('#replay').click();
  assert.match(await error.innerText(), /Unknown key "normalise_text"/);
  await shot(t, 'invalid');
  assert.deepEqual(pipelineWrites, [], 'nothing was sent');
  await page.fill('#candidate', NORMALIZER);
  await error.waitFor({ state: 'hidden' });
});

test('replay the normalizer on the last jobs: totals and a report per job', async (t) => {
  const [request] = await Promise.all([page.waitForRequest((r) => r.url().endsWith('/v1/pipeline/replay')), page.locator('#replay').click()]);
  assert.deepEqual(request.postDataJSON(), { pipeline: JSON.parse(NORMALIZER), last: 20 });
  const total = page.locator('[data-testid=replay-total]');
  await total.waitFor({ timeout: WAIT });
  const jobs = page.locator('[data-testid=replay-job]');
  assert.ok((await jobs.count()) >= 1, 'one job or more replayed');
  await page.locator(`[data-testid=replay-job][data-job="${jobId}"]`).waitFor();
  assert.match(await page.locator(`[data-testid=replay-job][data-job="${jobId}"] h3`).innerText(), /en_invoice\.png/);

  // The same replay through the API (it writes nothing) gives the totals the UI shows.
  const report = await json('/v1/pipeline/replay', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pipeline: JSON.parse(NORMALIZER), last: 20 }) });
  const shown = await total.innerText();
  assert.match(shown, new RegExp(`Jobs\\s+${report.total.jobs}\\b`, 'i'));
  assert.match(shown, new RegExp(`${report.total.lines_changed} of ${report.total.lines}`));
  assert.equal(await jobs.count(), report.jobs.length);
  assert.equal(await page.locator('[data-testid=diff-line]').count(), report.jobs.reduce((n, j) => n + j.diff.length, 0));
  assert.equal((await json('/v1/pipeline/versions')).current, 0, 'a replay makes nothing live');
  await page.getByRole('status').filter({ hasText: 'Nothing was written' }).waitFor();
  await page.locator('[data-testid=replay-report]').scrollIntoViewIfNeeded();
  await shot(t, 'replay');
});

test('make the candidate live: version 1, listed', async (t) => {
  await page.locator('#make-live').click();
  await liveVersion(1);
  await page.getByRole('status').filter({ hasText: 'Version 1 is live' }).waitFor();
  await page.locator('[data-testid=versions] tr[data-version="1"][data-source="put"]').waitFor();
  assert.match(await page.locator('#live-json').innerText(), /builtin\.text-normalizer/);
  const versions = await json('/v1/pipeline/versions');
  assert.equal(versions.current, 1);
  assert.equal(versions.versions[0].pipeline.normalize_text[0].plugin, 'builtin.text-normalizer');
  await page.locator('#live-json').scrollIntoViewIfNeeded();
  await shot(t, 'live-v1');
});

test('an empty pipeline live (v2), then roll back to v1 with its button (v3)', async (t) => {
  await page.fill('#candidate', '{}');
  await page.locator('#make-live').click();
  await liveVersion(2);
  assert.doesNotMatch(await page.locator('#live-json').innerText(), /text-normalizer/);
  assert.equal(await page.locator('tr[data-version="2"]').getByRole('button').count(), 0, 'the live version has no roll-back button');

  await page.getByRole('button', { name: 'Roll back to v1' }).click();
  await liveVersion(3);
  await page.getByRole('status').filter({ hasText: 'Version 3 is live: a copy of version 1' }).waitFor();
  await page.locator('tr[data-version="3"][data-source="rollback:1"][aria-current="true"]').waitFor();
  assert.match(await page.locator('tr[data-version="3"]').innerText(), /Rolled back to v1/);
  assert.match(await page.locator('#live-json').innerText(), /builtin\.text-normalizer/);
  assert.deepEqual(
    (await page.locator('[data-testid=versions] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.version))),
    ['3', '2', '1'],
    'newest first',
  );
  const versions = await json('/v1/pipeline/versions');
  assert.equal(versions.current, 3);
  assert.equal(versions.versions[0].source, 'rollback:1');
  assert.equal((await json('/v1/pipeline')).normalize_text[0].plugin, 'builtin.text-normalizer');
  assert.deepEqual(pipelineWrites, ['POST /v1/pipeline/replay', 'PUT /v1/pipeline', 'PUT /v1/pipeline', 'POST /v1/pipeline/rollback']);
  await shot(t, 'rolled-back');
});

test('the jobs page shows the review-quality panel', async (t) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
  const panel = page.locator('[data-testid=quality-panel]');
  await page.locator('[data-testid=quality-panel]:not([data-state=loading])').waitFor();
  assert.equal(await panel.getAttribute('data-state'), 'ready', await panel.innerText());
  assert.ok(await page.getByRole('heading', { name: 'Review quality (30 days)' }).isVisible());
  const stats = await json('/v1/stats/quality');
  if (stats.models.length === 0) {
    assert.match(await panel.innerText(), /No reviewed jobs yet/);
  } else {
    assert.equal(await panel.locator('tr[data-model]').count(), stats.models.length);
    const { model } = await json(`/v1/ocr/jobs/${jobId}/result`);
    const row = panel.locator(`tr[data-model="${model}"]`);
    assert.match(await row.innerText(), /%/);
    const chart = panel.locator('[data-testid=quality-chart]');
    assert.equal(await chart.locator('rect.bar').count(), stats.days.length);
    if (stats.days.length) {
      assert.match(await chart.getAttribute('aria-label'), /Share of lines changed/);
      assert.ok((await chart.locator('rect.bar title').first().textContent()).includes('lines changed'));
    }
  }
  await panel.scrollIntoViewIfNeeded();
  await shot(t, 'quality');
});

test('no script errors in the browser', () => {
  assert.deepEqual(pageErrors, []);
});
