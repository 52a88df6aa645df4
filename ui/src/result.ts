// The result screen: recognized text per box beside the page image, coloured by confidence;
// the page structure (blocks in reading order, table rows, key–value pairs) over the image on
// demand; the fields beside the text; page text to copy, downloads, and corrections of lines
// and field values kept as human edits on the result.

import type { Api, Field, OcrLine, OcrResult } from './api';
import { confidenceLevel, h, s, say, saveBlob, statusBadge } from './dom';
import { pointsAttr } from './geometry';
import { fieldsPanel } from './fields';
import { frame } from './shell';
import { arrowDefs, structureLayer } from './structure';

export function resultScreen(root: HTMLElement, api: Api, jobId: string): () => void {
  let result: OcrResult | null = null;
  let etag: string | null = null;
  let current = 0;
  let name = 'result';
  const images = new Map<number, string>();

  const message = h('div', { class: 'notice', hidden: true });
  const title = h('h1', { class: 'job-title' }, 'Text');
  const status = h('span', { class: 'job-status' });
  const image = s('image', { x: 0, y: 0, preserveAspectRatio: 'none' });
  const lineLayer = s('g', { class: 'lines' });
  const structLayer = s('g', { class: 'structure-layer' });
  const svg = s('svg', { class: 'page-svg result-svg', role: 'img', 'aria-label': 'Page image with recognized lines' }, arrowDefs(), image, lineLayer, structLayer);
  let showStructure = false;
  const structureToggle = h('button', { type: 'button', class: 'btn', 'aria-pressed': 'false', title: 'Blocks in reading order, table rows, key–value pairs', onclick: () => {
    showStructure = !showStructure;
    structureToggle.setAttribute('aria-pressed', String(showStructure));
    render();
  } }, 'Show structure');
  const fieldsBox = h('div', { class: 'fields-box' });
  const lines = h('ol', { class: 'lines-list', 'aria-label': 'Recognized lines' });
  const pageText = h('textarea', { id: 'page-text', class: 'page-text', readonly: true, rows: 8, 'aria-label': 'Text of this page' });
  const pager = h('nav', { class: 'thumbs thumbs-row', 'aria-label': 'Pages' });
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      pageText.select();
      document.execCommand('copy');
    }
    say(message, 'ok', `${what} copied to the clipboard.`);
  };
  const download = async (format: 'json' | 'text') => {
    try {
      const blob = await api.download(`/v1/ocr/jobs/${encodeURIComponent(jobId)}/result?format=${format}`);
      saveBlob(blob, `${name}.${format === 'json' ? 'json' : 'txt'}`);
    } catch (err) {
      say(message, 'error', `Download failed: ${(err as Error).message}`);
    }
  };
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Confidence colours' },
    h('li', { class: 'conf-high' }, h('span', { class: 'swatch' }), 'High (90 % and over)'),
    h('li', { class: 'conf-medium' }, h('span', { class: 'swatch' }), 'Medium (70–90 %)'),
    h('li', { class: 'conf-low' }, h('span', { class: 'swatch' }), 'Low (under 70 %): check these'),
    h('li', { class: 'human' }, h('span', { class: 'swatch' }), 'Corrected by a person'),
  );

  frame(
    root,
    api.credentials,
    'Text',
    h(
      'div',
      { class: 'result' },
      h(
        'div',
        { class: 'review-head' },
        h('a', { href: '#/jobs', class: 'back' }, '← Jobs'),
        title,
        status,
        h('div', { class: 'spacer' }),
        structureToggle,
        h('a', { class: 'btn', href: `#/jobs/${jobId}/review` }, 'Review boxes'),
        h('button', { type: 'button', class: 'btn', onclick: () => void download('json') }, 'Download JSON'),
        h('button', { type: 'button', class: 'btn', onclick: () => void download('text') }, 'Download text'),
      ),
      message,
      legend,
      pager,
      h(
        'div',
        { class: 'result-body' },
        h('div', { class: 'result-image' }, svg),
        h(
          'section',
          { class: 'result-text', 'aria-labelledby': 'lines-title' },
          h('h2', { id: 'fields-title' }, 'Fields'),
          fieldsBox,
          h('h2', { id: 'lines-title' }, 'Lines'),
          h('p', { class: 'hint' }, 'Correct a line and press Enter: the correction is saved, the machine reading kept beside it. Esc restores the saved text.'),
          lines,
          h(
            'div',
            { class: 'page-text-head' },
            h('label', { for: 'page-text' }, 'Page text'),
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => void copy(pageText.value, 'Page text') }, 'Copy page text'),
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => result && void copy(result.text, 'All text') }, 'Copy all pages'),
          ),
          pageText,
        ),
      ),
    ),
  );

  const highlight = (i: number, on: boolean) => {
    lineLayer.querySelector(`[data-line="${i}"]`)?.classList.toggle('active', on);
    lines.querySelector(`[data-line="${i}"]`)?.classList.toggle('active', on);
  };

  /** Highlights a field's lines, going to its page first. */
  function highlightField(f: Field, on: boolean) {
    if (!result) return;
    const at = result.pages.findIndex((p) => p.page_index === f.page_index);
    if (on && at >= 0 && at !== current) void showPage(at);
    if (at === current) for (const i of f.line_ids) highlight(i, on);
  }

  async function saveField(index: number, f: Field, value: string) {
    try {
      const r = await api.editField(jobId, index, f.name, value, etag);
      result = r.result;
      etag = r.etag;
      say(message, 'ok', `Field ${f.name} saved as a correction.`);
      render();
    } catch (err) {
      say(message, 'error', `Field ${f.name} not saved: ${(err as Error).message}`);
      render();
    }
  }

  async function saveLine(i: number, input: HTMLInputElement, line: OcrLine) {
    const text = input.value;
    if (text === line.text) return;
    input.disabled = true;
    try {
      const r = await api.editLine(jobId, result!.pages[current].page_index, i, text, etag);
      result = r.result;
      etag = r.etag;
      say(message, 'ok', `Line ${i + 1} saved as a correction.`);
      render();
      (lines.querySelector(`[data-line="${i}"] input`) as HTMLInputElement | null)?.focus();
    } catch (err) {
      input.disabled = false;
      say(message, 'error', `Line ${i + 1} not saved: ${(err as Error).message}`);
    }
  }

  function render() {
    if (!result) return;
    const p = result.pages[current];
    svg.setAttribute('viewBox', `0 0 ${p.width} ${p.height}`);
    image.setAttribute('width', String(p.width));
    image.setAttribute('height', String(p.height));
    lineLayer.replaceChildren(
      ...p.lines.map((l, i) => {
        const poly = s('polygon', { class: `line conf-${confidenceLevel(l.confidence)}${l.machine_text !== undefined ? ' human' : ''}`, points: pointsAttr(l.points), 'data-line': i });
        poly.addEventListener('pointerenter', () => highlight(i, true));
        poly.addEventListener('pointerleave', () => highlight(i, false));
        poly.addEventListener('click', () => (lines.querySelector(`[data-line="${i}"] input`) as HTMLInputElement | null)?.focus());
        return poly;
      }),
    );
    lines.replaceChildren(
      ...p.lines.map((l, i) => {
        const level = confidenceLevel(l.confidence);
        const edited = l.machine_text !== undefined;
        const input = h('input', { type: 'text', value: l.text, 'aria-label': `Line ${i + 1} text`, spellcheck: 'false' });
        input.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') input.blur();
          if (e.key === 'Escape') {
            input.value = l.text;
            input.blur();
          }
        });
        input.addEventListener('change', () => void saveLine(i, input, l));
        input.addEventListener('focus', () => highlight(i, true));
        input.addEventListener('blur', () => highlight(i, false));
        const row = h(
          'li',
          { class: `line-row conf-${level}${edited ? ' human' : ''}`, 'data-line': i, 'data-human': edited ? 'true' : 'false' },
          h('span', { class: 'line-no', 'aria-hidden': 'true' }, i + 1),
          input,
          h('span', { class: `conf conf-${level}`, title: 'Mean character confidence' }, `${Math.round(l.confidence * 100)} %`),
          edited ? h('span', { class: 'edited', title: `Machine read: ${l.machine_text}` }, 'Edited') : null,
        );
        row.addEventListener('pointerenter', () => highlight(i, true));
        row.addEventListener('pointerleave', () => highlight(i, false));
        return row;
      }),
    );
    pageText.value = p.text;
    structLayer.replaceChildren(...(showStructure ? [structureLayer(p)] : []));
    fieldsBox.replaceChildren(fieldsPanel(result.fields ?? [], { highlight: highlightField, save: (i, f, v) => void saveField(i, f, v) }));
    for (const t of pager.querySelectorAll('button')) t.setAttribute('aria-current', String(Number((t as HTMLElement).dataset.page) === current));
  }

  async function showPage(i: number) {
    if (!result || i < 0 || i >= result.pages.length) return;
    current = i;
    render();
    if (images.has(i)) image.setAttribute('href', images.get(i)!);
    else image.removeAttribute('href');
    try {
      if (!images.has(i)) images.set(i, await api.pageImage(jobId, result.pages[i].page_index));
      if (current === i) image.setAttribute('href', images.get(i)!);
    } catch (err) {
      say(message, 'error', `The page image could not be loaded: ${(err as Error).message}`);
    }
  }

  (async () => {
    const job = await api.job(jobId);
    name = (job.file?.name || 'result').replace(/\.[^.]+$/, '');
    title.textContent = job.file?.name || 'Text';
    status.replaceChildren(statusBadge(job.status));
    result = await api.result(jobId);
    pager.hidden = result.pages.length < 2;
    pager.replaceChildren(...result.pages.map((p, i) => h('button', { type: 'button', class: 'btn btn-small', 'data-page': i, onclick: () => void showPage(i) }, `Page ${p.page_index + 1}`)));
    await showPage(0);
  })().catch((err) => say(message, 'error', (err as Error).message));

  return () => {
    for (const u of images.values()) URL.revokeObjectURL(u);
  };
}
