// End-to-end test of the page structure and the fields on the result screen, in a real browser
// against the real server (scripts/ui-test.sh starts it and sets OCR_UI_TEST_URL).
//
// Flow: a tenant whose pipeline has builtin.receipt-fields → a Vietnamese receipt made DONE
// through the API → sign in → the result screen: "Show structure" draws the blocks numbered in
// reading order → the Fields panel lists `total` → a reviewer corrects it, the server keeps the
// plugin's value in `machine_value`, and the correction is still there after a reload.

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
const TENANT = `uif-${Date.now().toString(36)}`;
const RECEIPT = path.join(repo, 'tests/fixtures/receipts/vi_receipt.png');
const WAIT = 240_000;

let browser;
let page;
let jobId;
let shots = 0;
const pageErrors = [];

/** The API as another client of the same tenant (to set things up and check what the UI did). */
const api = (p, init = {}) => fetch(BASE + p, { ...init, headers: { 'X-Tenant-Id': TENANT, ...(init.headers ?? {}) } });
const json = async (p, init) => {
  const r = await api(p, init);
  assert.ok(r.ok, `${init?.method ?? 'GET'} ${p} answered ${r.status}: ${await r.clone().text()}`);
  return r.json();
};

async function shot(t, name) {
  const file = path.join(OUT, `fields-${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  t.diagnostic(`screenshot: ${file}`);
}

before(async () => {
  assert.ok(BASE, 'OCR_UI_TEST_URL must name the running server (scripts/ui-test.sh sets it)');
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of (400|401|404|409|412)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
});

test('a receipt read with receipt-fields, then sign in', async () => {
  await json('/v1/pipeline', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ extract_fields: [{ plugin: 'builtin.receipt-fields' }] }),
  });
  const { job_id: id } = await json('/v1/ocr/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auto_ocr: true }),
  });
  const form = new FormData();
  form.append('file', new Blob([readFileSync(RECEIPT)], { type: 'image/png' }), 'vi_receipt.png');
  await json(`/v1/ocr/jobs/${id}/upload`, { method: 'POST', body: form });
  const deadline = Date.now() + WAIT;
  let job = await json(`/v1/ocr/jobs/${id}`);
  while (job.status !== 'DONE') {
    assert.notEqual(job.status, 'FAILED', `the job failed: ${JSON.stringify(job.error)}`);
    assert.ok(Date.now() < deadline, `the job is still ${job.status}`);
    job = await json(`/v1/ocr/jobs/${id}?${new URLSearchParams({ wait: '25', since_status: job.status })}`);
  }
  jobId = id;

  await page.goto(`${BASE}/ui/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.fill('#signin-tenant', TENANT);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
});

test('the structure overlay shows the blocks in reading order and the fields panel shows total', async (t) => {
  const result = await json(`/v1/ocr/jobs/${jobId}/result`);
  const blocks = result.pages[0].blocks ?? [];
  assert.ok(blocks.length > 0, 'the receipt has blocks');
  await page.goto(`${BASE}/ui/#/jobs/${jobId}/result`);
  await page.locator('.line-row').first().waitFor();
  assert.equal(await page.locator('.structure g.block').count(), 0, 'hidden until asked for');

  const toggle = page.getByRole('button', { name: 'Show structure' });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('.structure g.block').count(), blocks.length);
  const numbers = await page.locator('.structure .block-order').evaluateAll((els) => els.map((e) => Number(e.textContent)));
  assert.deepEqual([...numbers].sort((a, b) => a - b), blocks.map((_, i) => i + 1), 'each block numbered by its place in the reading order');
  const rows = (result.pages[0].tables ?? []).reduce((n, tb) => n + tb.row_count, 0);
  assert.ok((await page.locator('.structure .table-row').count()) <= rows);
  assert.equal(await page.locator('.structure g.pair').count(), (result.pages[0].pairs ?? []).length);

  const total = page.locator('.field-row[data-field="total"]');
  await total.waitFor();
  const field = result.fields.find((f) => f.name === 'total');
  assert.equal(await total.locator('input').inputValue(), field.value);
  assert.ok((await total.innerText()).includes(field.normalized), 'the normalized value is shown');
  // Clicking the name highlights the field's lines on the page.
  await total.getByRole('button', { name: 'total' }).click();
  assert.equal(await page.locator('polygon.line.active').count(), field.line_ids.length);
  await page.waitForFunction(() => document.querySelector('.result-svg image')?.getAttribute('href')?.startsWith('blob:'));
  await shot(t, 'structure');
  await toggle.click();
  assert.equal(await page.locator('.structure g.block').count(), 0);
});

test('a reviewer corrects the total: kept as a correction beside the machine value', async (t) => {
  const before = (await json(`/v1/ocr/jobs/${jobId}/result`)).fields;
  const index = before.findIndex((f) => f.name === 'total');
  const machine = before[index].value;
  const corrected = `${machine} (checked)`;
  const input = page.locator('.field-row[data-field="total"] input');
  await input.fill(corrected);
  await input.press('Enter');
  await page.locator('.field-row[data-field="total"][data-human="true"] .edited').waitFor();
  await page.getByRole('status').filter({ hasText: 'Field total saved' }).waitFor();

  const stored = (await json(`/v1/ocr/jobs/${jobId}/result`)).fields;
  assert.equal(stored[index].value, corrected);
  assert.equal(stored[index].machine_value, machine);
  assert.ok(stored.every((f, i) => i === index || f.machine_value === undefined), 'only that field is a human edit');

  // It sticks: a reload shows the corrected value, marked as edited.
  await page.reload();
  const row = page.locator('.field-row[data-field="total"]');
  await row.locator('.edited').waitFor();
  assert.equal(await row.locator('input').inputValue(), corrected);
  assert.equal(await row.locator('.edited').getAttribute('title'), `Machine read: ${machine}`);
  await shot(t, 'field-edited');
});

test('no script errors in the browser', () => {
  assert.deepEqual(pageErrors, []);
});
