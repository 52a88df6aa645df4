// The review screen: the page image with its detected boxes on SVG; select, move, resize,
// rotate, delete, add, split and merge boxes; zoom and pan; undo/redo; save with If-Match;
// run recognition.

import { type Api, ApiError, type DetectPage, type Job, type Point, type Quad } from './api';
import { h, s, say, statusBadge } from './dom';
import * as g from './geometry';
import { frame } from './shell';

export const SHORTCUTS: [string, string][] = [
  ['Click, Shift+click', 'Select a box, add to the selection'],
  ['[ and ]', 'Select the previous / next box'],
  ['Ctrl+A', 'Select every box on the page'],
  ['Drag a box', 'Move the selection'],
  ['Drag a corner', 'Resize (Alt: move that corner alone)'],
  ['Drag the round handle', 'Rotate (Shift: 15° steps)'],
  ['Arrow keys', 'Nudge by 1 px (Shift: 10 px)'],
  ['Delete / Backspace', 'Delete the selection'],
  ['N', 'New box: drag a rectangle'],
  ['X', 'Split the selected box in two'],
  ['M', 'Merge the selected boxes'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'Undo / redo'],
  ['+ / − / 0', 'Zoom in / out / fit (or the mouse wheel)'],
  ['Drag the background', 'Pan'],
  ['Page Up / Page Down', 'Previous / next page'],
  ['S', 'Save'],
  ['R', 'Run recognition'],
  ['Esc', 'Clear the selection, cancel'],
  ['?', 'This help'],
];

type Drag =
  | { kind: 'move'; start: Point; orig: Map<number, Quad>; before: string }
  | { kind: 'corner'; index: number; corner: number; orig: Quad; before: string }
  | { kind: 'rotate'; index: number; orig: Quad; center: Point; startAngle: number; before: string }
  | { kind: 'add'; start: Point; now: Point }
  | { kind: 'pan'; x: number; y: number; left: number; top: number };

const BUSY = ['OCR_QUEUED', 'RECOGNIZING'];
const MOUSE = /^(Click|Drag)/;

export function helpDialog(): HTMLDialogElement {
  const dialog = h(
    'dialog',
    { class: 'help', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, 'Keyboard and mouse'),
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        ...SHORTCUTS.map(([k, what]) =>
          h('tr', {}, h('th', { scope: 'row' }, MOUSE.test(k) ? k : h('kbd', {}, k)), h('td', {}, what)),
        ),
      ),
    ),
    h('form', { method: 'dialog' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Close')),
  );
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  return dialog;
}

export function reviewScreen(root: HTMLElement, api: Api, jobId: string): () => void {
  let job: Job | null = null;
  let pages: DetectPage[] = [];
  let etag = '';
  let current = 0;
  let selected = new Set<number>();
  let undo: string[] = [];
  let redo: string[] = [];
  let dirty = false;
  let zoom = 1;
  let tool: 'select' | 'add' = 'select';
  let drag: Drag | null = null;
  let stopped = false;
  let busy = false;
  let pollTimer = 0;
  const images = new Map<number, string>();

  const message = h('div', { class: 'notice', hidden: true });
  const status = h('span', { class: 'job-status' });
  const title = h('h1', { class: 'job-title' }, 'Review');
  const image = s('image', { x: 0, y: 0, preserveAspectRatio: 'none' });
  const boxLayer = s('g', { class: 'boxes' });
  const overlay = s('g', { class: 'overlay' });
  const svg = s('svg', { class: 'page-svg', role: 'img', 'aria-label': 'Page image with detected text boxes' }, image, boxLayer, overlay);
  const viewport = h('div', { class: 'viewport', tabindex: '0', 'aria-label': 'Page canvas. Press ? for keyboard shortcuts.' }, svg);
  const thumbs = h('nav', { class: 'thumbs', 'aria-label': 'Pages' });
  const boxList = h('ol', { class: 'box-list', 'aria-label': 'Boxes on this page' });
  const counts = h('p', { class: 'counts' });
  const pageLabel = h('span', { class: 'page-label' });
  const zoomLabel = h('span', { class: 'zoom-label', 'aria-live': 'polite' });
  const help = helpDialog();

  const btn = (label: string, action: () => void, attrs: Record<string, unknown> = {}) =>
    h('button', { type: 'button', class: 'btn', onclick: action, ...attrs }, label);
  const bSelect = btn('Select', () => setTool('select'), { 'aria-pressed': 'true', title: 'Select and move (Esc)' });
  const bAdd = btn('+ New box', () => setTool('add'), { 'aria-pressed': 'false', title: 'Draw a new box (N)' });
  const bSplit = btn('Split', () => splitSelected(), { title: 'Split the selected box in two (X)' });
  const bMerge = btn('Merge', () => mergeSelected(), { title: 'Merge the selected boxes (M)' });
  const bDelete = btn('Delete', () => deleteSelected(), { class: 'btn btn-danger', title: 'Delete the selection (Delete)' });
  const bUndo = btn('↶ Undo', () => doUndo(), { title: 'Undo (Ctrl+Z)' });
  const bRedo = btn('↷ Redo', () => doRedo(), { title: 'Redo (Ctrl+Shift+Z)' });
  const bZoomOut = btn('−', () => setZoom(zoom / 1.25), { 'aria-label': 'Zoom out', title: 'Zoom out (−)' });
  const bFit = btn('Fit', () => fit(), { title: 'Fit the page (0)' });
  const bZoomIn = btn('+', () => setZoom(zoom * 1.25), { 'aria-label': 'Zoom in', title: 'Zoom in (+)' });
  const bPrev = btn('‹', () => showPage(current - 1), { 'aria-label': 'Previous page', title: 'Previous page (Page Up)' });
  const bNext = btn('›', () => showPage(current + 1), { 'aria-label': 'Next page', title: 'Next page (Page Down)' });
  const bSave = btn('Save', () => void save(), { class: 'btn btn-primary', title: 'Save the boxes (S)' });
  const bRun = btn('Run recognition', () => void runRecognition(), { class: 'btn btn-accent', title: 'Save if needed, then recognize the text (R)' });
  const bHelp = btn('?', () => help.showModal(), { 'aria-label': 'Keyboard shortcuts', title: 'Keyboard shortcuts (?)' });
  const resultLink = h('a', { class: 'btn', href: `#/jobs/${jobId}/result`, hidden: true }, 'View text');

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Box editing' },
    h('div', { class: 'group' }, bSelect, bAdd),
    h('div', { class: 'group' }, bSplit, bMerge, bDelete),
    h('div', { class: 'group' }, bUndo, bRedo),
    h('div', { class: 'group' }, bZoomOut, zoomLabel, bZoomIn, bFit),
    h('div', { class: 'group' }, bPrev, pageLabel, bNext),
    h('div', { class: 'group' }, bHelp),
  );

  frame(
    root,
    api.credentials,
    'Review',
    h(
      'div',
      { class: 'review' },
      h('div', { class: 'review-head' }, h('a', { href: '#/jobs', class: 'back' }, '← Jobs'), title, status, h('div', { class: 'spacer' }), resultLink, bSave, bRun),
      message,
      toolbar,
      h('div', { class: 'review-body' }, thumbs, viewport, h('aside', { class: 'inspector', 'aria-label': 'Boxes' }, counts, boxList)),
    ),
    help,
  );

  const page = () => pages[current];
  const snapshot = () => JSON.stringify(pages);
  const editable = () => !busy && job !== null && ['DETECT_DONE', 'DONE'].includes(job.status);

  function commit(before: string) {
    if (before === snapshot()) return;
    undo.push(before);
    if (undo.length > 200) undo.shift();
    redo = [];
    dirty = true;
    render();
  }

  function change(fn: () => void) {
    if (!editable()) return;
    const before = snapshot();
    fn();
    commit(before);
  }

  function setTool(t: 'select' | 'add') {
    tool = t;
    bSelect.setAttribute('aria-pressed', String(t === 'select'));
    bAdd.setAttribute('aria-pressed', String(t === 'add'));
    viewport.classList.toggle('adding', t === 'add');
  }

  function setZoom(z: number, around?: { x: number; y: number }) {
    const p = page();
    if (!p) return;
    const rect = svg.getBoundingClientRect();
    const anchor = around ?? { x: viewport.getBoundingClientRect().left + viewport.clientWidth / 2, y: viewport.getBoundingClientRect().top + viewport.clientHeight / 2 };
    const px = (anchor.x - rect.left) / zoom;
    const py = (anchor.y - rect.top) / zoom;
    zoom = Math.min(Math.max(z, 0.05), 8);
    svg.setAttribute('width', String(p.width * zoom));
    svg.setAttribute('height', String(p.height * zoom));
    const after = svg.getBoundingClientRect();
    viewport.scrollLeft += after.left + px * zoom - anchor.x;
    viewport.scrollTop += after.top + py * zoom - anchor.y;
    zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
    render();
  }

  function fit() {
    const p = page();
    if (!p) return;
    const z = Math.min((viewport.clientWidth - 24) / p.width, (viewport.clientHeight - 24) / p.height);
    setZoom(z > 0 ? z : 1);
    viewport.scrollLeft = 0;
    viewport.scrollTop = 0;
  }

  function toPage(e: { clientX: number; clientY: number }): Point {
    const rect = svg.getBoundingClientRect();
    return [(e.clientX - rect.left) / zoom, (e.clientY - rect.top) / zoom];
  }

  function render() {
    const p = page();
    if (!p) return;
    const r = 4.5 / zoom;
    boxLayer.replaceChildren(
      ...p.boxes.map((b, i) =>
        s('polygon', {
          class: selected.has(i) ? 'box selected' : 'box',
          points: g.pointsAttr(b.points),
          'data-kind': 'box',
          'data-index': i,
        }),
      ),
    );
    overlay.replaceChildren();
    if (selected.size === 1 && editable()) {
      const i = [...selected][0];
      const q = p.boxes[i]?.points;
      if (q) {
        const top: Point = [(q[0][0] + q[1][0]) / 2, (q[0][1] + q[1][1]) / 2];
        const a = g.angleOf(q);
        const knob: Point = [top[0] + Math.sin(a) * 24 / zoom, top[1] - Math.cos(a) * 24 / zoom];
        overlay.append(
          s('line', { class: 'rotate-arm', x1: top[0], y1: top[1], x2: knob[0], y2: knob[1] }),
          s('circle', { class: 'handle rotate', cx: knob[0], cy: knob[1], r, 'data-kind': 'rotate', 'data-index': i }),
          ...q.map((pt, c) => s('rect', { class: 'handle corner', x: pt[0] - r, y: pt[1] - r, width: 2 * r, height: 2 * r, 'data-kind': 'corner', 'data-index': i, 'data-corner': c })),
        );
      }
    }
    if (drag?.kind === 'add') {
      overlay.append(s('polygon', { class: 'box adding', points: g.pointsAttr(g.rect(drag.start[0], drag.start[1], drag.now[0], drag.now[1])) }));
    }
    counts.textContent = `${p.boxes.length} ${p.boxes.length === 1 ? 'box' : 'boxes'} on this page${selected.size ? ` · ${selected.size} selected` : ''}${dirty ? ' · unsaved changes' : ''}`;
    boxList.replaceChildren(
      ...p.boxes.map((b, i) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'box-item',
              'aria-pressed': String(selected.has(i)),
              onclick: (e: MouseEvent) => select(i, e.shiftKey),
            },
            `Box ${i + 1}`,
            h('span', { class: 'score', title: 'Detector score' }, b.score.toFixed(2)),
          ),
        ),
      ),
    );
    const can = editable();
    bSplit.disabled = !can || selected.size === 0;
    bMerge.disabled = !can || selected.size < 2;
    bDelete.disabled = !can || selected.size === 0;
    bUndo.disabled = !can || undo.length === 0;
    bRedo.disabled = !can || redo.length === 0;
    bAdd.disabled = !can;
    bSave.disabled = !can || !dirty;
    bRun.disabled = busy || job === null || !['DETECT_DONE', 'DONE'].includes(job.status);
    bSave.textContent = dirty ? 'Save' : 'Saved';
    bPrev.disabled = current === 0;
    bNext.disabled = current >= pages.length - 1;
    pageLabel.textContent = `Page ${current + 1} of ${pages.length}`;
    for (const t of thumbs.querySelectorAll('button')) t.setAttribute('aria-current', String(Number((t as HTMLElement).dataset.page) === current));
  }

  function select(i: number, add: boolean) {
    if (add) {
      if (selected.has(i)) selected.delete(i);
      else selected.add(i);
    } else selected = new Set([i]);
    render();
  }

  function deleteSelected() {
    if (selected.size === 0) return;
    change(() => {
      page().boxes = page().boxes.filter((_, i) => !selected.has(i));
      selected.clear();
    });
    say(message, 'info', 'Deleted. Undo with Ctrl+Z; save to keep.');
  }

  function splitSelected() {
    if (selected.size === 0) return;
    change(() => {
      const out: DetectPage['boxes'] = [];
      const next = new Set<number>();
      page().boxes.forEach((b, i) => {
        if (selected.has(i)) {
          for (const half of g.split(b.points)) {
            next.add(out.length);
            out.push({ points: g.clampQuad(half, page().width, page().height), score: b.score });
          }
        } else out.push(b);
      });
      page().boxes = out;
      selected = next;
    });
  }

  function mergeSelected() {
    if (selected.size < 2) return;
    change(() => {
      const idx = [...selected].sort((a, b) => a - b);
      const quads = idx.map((i) => page().boxes[i].points);
      const merged = g.clampQuad(g.merge(quads), page().width, page().height);
      const score = Math.min(...idx.map((i) => page().boxes[i].score));
      const boxes = page().boxes.filter((_, i) => !selected.has(i));
      boxes.splice(idx[0], 0, { points: merged, score });
      page().boxes = boxes;
      selected = new Set([idx[0]]);
    });
  }

  function nudge(dx: number, dy: number) {
    if (selected.size === 0) return;
    change(() => {
      const idx = [...selected];
      const moved = g.translateInside(idx.map((i) => page().boxes[i].points), dx, dy, page().width, page().height);
      idx.forEach((i, k) => (page().boxes[i].points = moved[k]));
    });
  }

  function restore(state: string) {
    pages = JSON.parse(state);
    selected = new Set([...selected].filter((i) => i < page().boxes.length));
    dirty = true;
    render();
  }

  function doUndo() {
    const prev = undo.pop();
    if (prev === undefined || !editable()) return;
    redo.push(snapshot());
    restore(prev);
  }

  function doRedo() {
    const next = redo.pop();
    if (next === undefined || !editable()) return;
    undo.push(snapshot());
    restore(next);
  }

  async function showPage(i: number) {
    if (i < 0 || i >= pages.length) return;
    current = i;
    selected.clear();
    image.setAttribute('width', String(page().width));
    image.setAttribute('height', String(page().height));
    svg.setAttribute('viewBox', `0 0 ${page().width} ${page().height}`);
    // Never the previous page's image under this page's boxes while it loads.
    if (images.has(i)) image.setAttribute('href', images.get(i)!);
    else image.removeAttribute('href');
    fit();
    try {
      if (!images.has(i)) images.set(i, await api.pageImage(jobId, i));
      if (current === i) image.setAttribute('href', images.get(i)!);
    } catch (err) {
      say(message, 'error', `The page image could not be loaded: ${(err as Error).message}`);
    }
  }

  async function loadThumbs() {
    if (pages.length < 2) {
      thumbs.hidden = true;
      return;
    }
    thumbs.replaceChildren(
      ...pages.map((p, i) => {
        const img = h('img', { alt: '', width: 96 });
        const b = h('button', { type: 'button', class: 'thumb', 'data-page': i, onclick: () => void showPage(i) }, img, h('span', {}, `Page ${p.page_index + 1}`));
        api.pageImage(jobId, i, 160).then((u) => (img.src = u)).catch(() => img.remove());
        return b;
      }),
    );
  }

  async function load(keepPage: boolean) {
    const [j, d] = await Promise.all([api.job(jobId), api.detect(jobId)]);
    job = j;
    pages = d.view.pages;
    etag = d.etag;
    undo = [];
    redo = [];
    dirty = false;
    selected.clear();
    title.textContent = j.file?.name || 'Review';
    status.replaceChildren(statusBadge(j.status), h('span', { class: 'hint' }, ` revision ${d.view.revision}`));
    resultLink.hidden = j.status !== 'DONE';
    await loadThumbs();
    await showPage(keepPage ? Math.min(current, pages.length - 1) : 0);
    if (BUSY.includes(j.status)) void followRecognition();
  }

  async function reload() {
    try {
      await load(true);
      say(message, 'ok', 'Reloaded: you now see the latest saved boxes.');
    } catch (err) {
      say(message, 'error', (err as Error).message);
    }
  }

  async function save(): Promise<boolean> {
    if (!editable()) return false;
    if (!dirty) return true;
    const body = pages.map((p) => ({ ...p, boxes: p.boxes.map((b) => ({ score: b.score, points: g.clampQuad(b.points, p.width, p.height) })) }));
    bSave.disabled = true;
    say(message, 'info', 'Saving…');
    try {
      const saved = await api.saveDetect(jobId, etag, body);
      etag = saved.etag;
      pages = saved.view.pages;
      dirty = false;
      status.replaceChildren(statusBadge(job!.status), h('span', { class: 'hint' }, ` revision ${saved.view.revision}`));
      say(message, 'ok', `Saved (revision ${saved.view.revision}).`);
      render();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        say(message, 'error', 'Someone else saved these boxes first — reload to see their version.', btn('Reload', () => void reload()));
      } else {
        say(message, 'error', `Not saved: ${(err as Error).message}`);
      }
      render();
      return false;
    }
  }

  async function followRecognition() {
    busy = true;
    render();
    window.clearTimeout(pollTimer);
    let retry = 0;
    try {
      // A long poll: answers when the status moves on, so the next read follows at once.
      const j = await api.job(jobId, job && BUSY.includes(job.status) ? job.status : undefined);
      if (stopped) return;
      job = j;
      status.replaceChildren(statusBadge(j.status));
      if (j.status === 'DONE') {
        busy = false;
        location.hash = `#/jobs/${jobId}/result`;
        return;
      }
      if (j.status === 'FAILED') {
        busy = false;
        say(message, 'error', `Recognition failed: ${j.error?.message ?? 'no reason given'}`);
        render();
        return;
      }
      say(message, 'info', 'Recognizing the text… the result opens when it is ready.');
    } catch (err) {
      say(message, 'error', (err as Error).message);
      retry = 1000;
    }
    pollTimer = window.setTimeout(() => void followRecognition(), retry);
  }

  async function runRecognition() {
    if (busy || !job) return;
    if (dirty && !(await save())) return;
    try {
      await api.runOcr(jobId);
      void followRecognition();
    } catch (err) {
      say(message, 'error', `Recognition did not start: ${(err as Error).message}`);
    }
  }

  // Pointer interaction on the page.
  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || !page()) return;
    const target = e.target as SVGElement;
    const kind = target.dataset.kind;
    const index = Number(target.dataset.index);
    const pt = toPage(e);
    viewport.focus({ preventScroll: true });
    if (tool === 'add' && editable()) {
      drag = { kind: 'add', start: g.clampPoint(pt, page().width, page().height), now: pt };
    } else if (kind === 'corner' && editable()) {
      drag = { kind: 'corner', index, corner: Number(target.dataset.corner), orig: page().boxes[index].points, before: snapshot() };
    } else if (kind === 'rotate' && editable()) {
      const q = page().boxes[index].points;
      const c = g.center(q);
      drag = { kind: 'rotate', index, orig: q, center: c, startAngle: Math.atan2(pt[1] - c[1], pt[0] - c[0]), before: snapshot() };
    } else if (kind === 'box') {
      if (e.shiftKey) select(index, true);
      else if (!selected.has(index)) select(index, false);
      if (editable() && selected.has(index)) {
        drag = { kind: 'move', start: pt, orig: new Map([...selected].map((i) => [i, page().boxes[i].points])), before: snapshot() };
      }
    } else {
      if (!e.shiftKey && selected.size) {
        selected.clear();
        render();
      }
      drag = { kind: 'pan', x: e.clientX, y: e.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    }
    if (drag) svg.setPointerCapture(e.pointerId);
    e.preventDefault();
  });

  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const p = page();
    const pt = toPage(e);
    switch (drag.kind) {
      case 'pan':
        viewport.scrollLeft = drag.left - (e.clientX - drag.x);
        viewport.scrollTop = drag.top - (e.clientY - drag.y);
        return;
      case 'add':
        drag.now = g.clampPoint(pt, p.width, p.height);
        break;
      case 'move': {
        const idx = [...drag.orig.keys()];
        const moved = g.translateInside([...drag.orig.values()], pt[0] - drag.start[0], pt[1] - drag.start[1], p.width, p.height);
        idx.forEach((i, k) => (p.boxes[i].points = moved[k]));
        break;
      }
      case 'corner':
        p.boxes[drag.index].points = g.clampQuad(g.resizeCorner(drag.orig, drag.corner, g.clampPoint(pt, p.width, p.height), e.altKey), p.width, p.height);
        break;
      case 'rotate': {
        let a = Math.atan2(pt[1] - drag.center[1], pt[0] - drag.center[0]) - drag.startAngle;
        if (e.shiftKey) a = Math.round(a / (Math.PI / 12)) * (Math.PI / 12);
        p.boxes[drag.index].points = g.clampQuad(g.rotate(drag.orig, a, drag.center), p.width, p.height);
        break;
      }
    }
    render();
  });

  const endDrag = () => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.kind === 'add') {
      const [x0, y0] = d.start;
      const [x1, y1] = d.now;
      if (Math.abs(x1 - x0) >= 3 && Math.abs(y1 - y0) >= 3) {
        change(() => {
          page().boxes.push({ points: g.rect(x0, y0, x1, y1), score: 1 });
          selected = new Set([page().boxes.length - 1]);
        });
        setTool('select');
      }
      render();
    } else if (d.kind !== 'pan') {
      commit(d.before);
    }
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  viewport.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      setZoom(zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15), { x: e.clientX, y: e.clientY });
    },
    { passive: false },
  );

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (help.open || t.closest('input, textarea, select, [contenteditable]')) return;
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key;
    let handled = true;
    if (ctrl && key.toLowerCase() === 'z') {
      if (e.shiftKey) doRedo();
      else doUndo();
    } else if (ctrl && key.toLowerCase() === 'y') doRedo();
    else if (ctrl && key.toLowerCase() === 'a') {
      selected = new Set(page().boxes.map((_, i) => i));
      render();
    } else if (ctrl && key.toLowerCase() === 's') void save();
    else if (ctrl || e.altKey) handled = false;
    else if (key === 'Delete' || key === 'Backspace') deleteSelected();
    else if (key === '+' || key === '=') setZoom(zoom * 1.25);
    else if (key === '-' || key === '_') setZoom(zoom / 1.25);
    else if (key === '0') fit();
    else if (key.startsWith('Arrow')) {
      const step = e.shiftKey ? 10 : 1;
      nudge(key === 'ArrowLeft' ? -step : key === 'ArrowRight' ? step : 0, key === 'ArrowUp' ? -step : key === 'ArrowDown' ? step : 0);
    } else if (key === 'n' || key === 'N') setTool('add');
    else if (key === 'x' || key === 'X') splitSelected();
    else if (key === 'm' || key === 'M') mergeSelected();
    else if (key === 's' || key === 'S') void save();
    else if (key === 'r' || key === 'R') void runRecognition();
    else if (key === '?') help.showModal();
    else if (key === 'Escape') {
      setTool('select');
      drag = null;
      selected.clear();
      render();
    } else if (key === '[' || key === ']') {
      const n = page().boxes.length;
      if (n) {
        const cur = selected.size ? Math.max(...selected) : key === ']' ? -1 : 0;
        select((cur + (key === ']' ? 1 : n - 1)) % n, false);
      }
    } else if (key === 'PageUp') void showPage(current - 1);
    else if (key === 'PageDown') void showPage(current + 1);
    else handled = false;
    if (handled) e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (dirty) e.preventDefault();
  };
  window.addEventListener('beforeunload', onBeforeUnload);
  const onResize = () => fit();
  window.addEventListener('resize', onResize);

  load(false).catch((err) => say(message, 'error', (err as Error).message));

  return () => {
    stopped = true;
    window.clearTimeout(pollTimer);
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('beforeunload', onBeforeUnload);
    window.removeEventListener('resize', onResize);
    for (const u of images.values()) URL.revokeObjectURL(u);
  };
}
