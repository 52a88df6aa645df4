// The job list: status filter, live updates (polling every 2 s), drag-and-drop upload; and how
// much reviewers changed over the last 30 days.

import { type Api, type DayQuality, type Job, type QualityStats } from './api';
import { h, s, say, statusBadge, STATUS_LABEL, time } from './dom';
import { frame } from './shell';

const POLL_MS = 2000;
const DAY_MS = 86_400_000;

/** A rate as a percentage with at most one decimal: 0.125 -> "12.5 %". */
const pct = (r: number) => `${(r * 100).toFixed(1).replace(/\.0$/, '')} %`;

/** One bar per reviewed day, placed by date in the window, scaled to the highest day. */
function dayChart(q: QualityStats): SVGSVGElement {
  const start = Date.parse(q.from.slice(0, 10));
  const span = Math.round((Date.parse(q.to.slice(0, 10)) - start) / DAY_MS) + 1;
  const slots = Number.isFinite(span) && span > 0 ? span : q.days.length;
  const slot = (d: DayQuality, i: number) => {
    const at = Math.round((Date.parse(d.day) - start) / DAY_MS);
    return Number.isFinite(at) && Number.isFinite(span) ? Math.min(Math.max(at, 0), slots - 1) : i;
  };
  const top = Math.max(...q.days.map((d) => d.line_change_rate), 0.01);
  const [W, H, bar] = [slots * 10, 48, 8];
  const peak = q.days.reduce((a, d) => (d.line_change_rate > a.line_change_rate ? d : a), q.days[0]);
  const summary =
    `Share of lines changed on ${q.days.length} reviewed day${q.days.length === 1 ? '' : 's'}` +
    ` between ${q.from.slice(0, 10)} and ${q.to.slice(0, 10)}; highest ${pct(peak.line_change_rate)} on ${peak.day}.`;
  return s(
    'svg',
    { class: 'quality-chart', viewBox: `0 0 ${W} ${H + 1}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': summary, 'data-testid': 'quality-chart' },
    s('line', { class: 'axis', x1: 0, y1: H + 0.5, x2: W, y2: H + 0.5 }),
    ...q.days.map((d, i) => {
      const height = Math.max((d.line_change_rate / top) * H, 1);
      return s(
        'rect',
        { class: 'bar', x: slot(d, i) * 10 + 1, y: H - height, width: bar, height, 'data-day': d.day },
        s('title', {}, `${d.day}: ${pct(d.line_change_rate)} of ${d.lines} lines changed, CER ${pct(d.cer)} (${d.jobs_reviewed} job${d.jobs_reviewed === 1 ? '' : 's'})`),
      );
    }),
  );
}

/** The quality panel: filled once when the page opens; a failure leaves a note, never breaks the page. */
function qualityPanel(api: Api): HTMLElement {
  const body = h('div', { class: 'quality-body' }, h('p', { class: 'hint' }, 'Loading…'));
  const panel = h(
    'section',
    { class: 'card', id: 'quality', 'data-testid': 'quality-panel', 'data-state': 'loading', 'aria-labelledby': 'quality-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'quality-title' }, 'Review quality (30 days)')),
    body,
  );
  api
    .quality()
    .then((q) => {
      panel.dataset.state = 'ready';
      if (q.models.length === 0) {
        body.replaceChildren(h('p', { class: 'hint', 'data-testid': 'quality-empty' }, 'No reviewed jobs yet.'));
        return;
      }
      const cell = (rate: number, detail: string) => h('td', { class: 'num' }, pct(rate), h('span', { class: 'hint' }, ` (${detail})`));
      const table = h(
        'table',
        { class: 'jobs quality' },
        h('caption', { class: 'visually-hidden' }, 'What reviewers changed, per recognition model'),
        h(
          'thead',
          {},
          h('tr', {}, ...['Model', 'Jobs reviewed', 'Lines changed', 'Character error rate', 'Boxes changed'].map((t) => h('th', { scope: 'col' }, t))),
        ),
        h(
          'tbody',
          {},
          ...q.models.map((m) =>
            h(
              'tr',
              { 'data-model': m.model },
              h('td', { class: 'doc-name' }, m.model),
              h('td', { class: 'num' }, m.jobs_reviewed),
              cell(m.line_change_rate, `${m.lines_changed} of ${m.lines}`),
              cell(m.cer, `${m.char_errors} of ${m.chars} characters`),
              cell(m.box_change_rate, `${m.boxes_added} added, ${m.boxes_removed} removed, ${m.boxes_moved} moved of ${m.boxes_machine}`),
            ),
          ),
        ),
      );
      body.replaceChildren(h('div', { class: 'table-wrap' }, table));
      if (q.days.length) {
        const tallest = pct(Math.max(...q.days.map((d) => d.line_change_rate)));
        const caption = `Lines changed per reviewed day, ${q.from.slice(0, 10)} to ${q.to.slice(0, 10)} (tallest bar: ${tallest}).`;
        body.append(h('figure', { class: 'quality-days' }, dayChart(q), h('figcaption', { class: 'hint' }, caption)));
      }
    })
    .catch((err) => {
      panel.dataset.state = 'failed';
      body.replaceChildren(h('p', { class: 'hint', 'data-testid': 'quality-unavailable' }, `Review quality is not available: ${(err as Error).message}`));
    });
  return panel;
}

export function jobsScreen(root: HTMLElement, api: Api): () => void {
  const message = h('div', { class: 'notice', hidden: true });
  const filter = h(
    'select',
    { id: 'status-filter', name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    ...Object.entries(STATUS_LABEL).map(([code, label]) => h('option', { value: code }, label)),
  );
  const lang = h('select', { id: 'upload-lang', name: 'lang' }, h('option', { value: 'auto' }, 'Automatic'), h('option', { value: 'vi' }, 'Vietnamese'), h('option', { value: 'en' }, 'English'));
  const fileInput = h('input', { id: 'upload-input', type: 'file', multiple: true, accept: '.png,.jpg,.jpeg,.webp,.bmp,.tif,.tiff,.pdf,image/*,application/pdf', class: 'visually-hidden' });
  const uploads = h('ul', { class: 'uploads', 'aria-live': 'polite' });
  const drop = h(
    'div',
    { class: 'dropzone', 'data-testid': 'dropzone' },
    h('p', { class: 'drop-title' }, 'Drop documents here'),
    h('p', { class: 'hint' }, 'PNG, JPEG, WebP, BMP, TIFF or PDF — one job per file'),
    h('label', { for: 'upload-input', class: 'btn btn-primary' }, 'Choose files…'),
    fileInput,
  );
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No jobs yet. Upload a document to start.');
  const updated = h('span', { class: 'hint', 'aria-live': 'off' });
  const table = h(
    'table',
    { class: 'jobs' },
    h('caption', { class: 'visually-hidden' }, 'Your jobs, newest first'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Document'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Pages'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Updated'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))),
    ),
    tbody,
  );

  frame(
    root,
    api.credentials,
    'Jobs',
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'upload-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'upload-title' }, 'Upload'), h('div', { class: 'field-inline' }, h('label', { for: 'upload-lang' }, 'Language'), lang)),
      drop,
      uploads,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'jobs-title' },
      h('div', { class: 'card-head' }, h('h1', { id: 'jobs-title' }, 'Jobs'), h('div', { class: 'field-inline' }, h('label', { for: 'status-filter' }, 'Show'), filter), updated),
      message,
      h('div', { class: 'table-wrap' }, table),
      empty,
    ),
    qualityPanel(api),
  );

  let stopped = false;
  let timer = 0;
  let latest: Job[] = [];

  const render = (jobs: Job[]) => {
    latest = jobs;
    empty.hidden = jobs.length > 0;
    table.hidden = jobs.length === 0;
    tbody.replaceChildren(
      ...jobs.map((j) => {
        const name = j.file?.name || 'untitled';
        const review = ['DETECT_DONE', 'DONE'].includes(j.status);
        const actions = h('td', { class: 'actions' });
        if (review) actions.append(h('a', { class: 'btn btn-small', href: `#/jobs/${j.job_id}/review` }, 'Review boxes'));
        if (j.status === 'DONE') actions.append(h('a', { class: 'btn btn-small btn-primary', href: `#/jobs/${j.job_id}/result` }, 'Text'));
        return h(
          'tr',
          { 'data-job': j.job_id },
          h('td', { class: 'doc' }, h('span', { class: 'doc-name' }, name), j.error ? h('span', { class: 'doc-error' }, j.error.message) : null),
          h('td', {}, statusBadge(j.status)),
          h('td', { class: 'num' }, j.page_count ?? '—'),
          h('td', {}, time(j.created_at)),
          h('td', {}, time(j.updated_at)),
          actions,
        );
      }),
    );
  };

  const refresh = async () => {
    window.clearTimeout(timer);
    try {
      const { jobs } = await api.listJobs(filter.value);
      if (stopped) return;
      render(jobs);
      say(message, 'info', '');
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (stopped) return;
      say(message, 'error', (err as Error).message);
    }
    if (!stopped) timer = window.setTimeout(refresh, POLL_MS);
  };

  const upload = async (files: File[]) => {
    for (const file of files) {
      const item = h('li', { class: 'upload' }, h('span', { class: 'doc-name' }, file.name), h('span', { class: 'upload-state' }, 'Uploading…'));
      uploads.prepend(item);
      const state = item.querySelector('.upload-state') as HTMLElement;
      try {
        await api.uploadFile(file, lang.value);
        state.textContent = 'Uploaded — detection queued';
        item.classList.add('upload-ok');
      } catch (err) {
        state.textContent = `Not uploaded: ${(err as Error).message}`;
        item.classList.add('upload-failed');
      }
      void refresh();
    }
  };

  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    fileInput.value = '';
    void upload(files);
  });
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('dragging');
    });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    void upload(Array.from((e as DragEvent).dataTransfer?.files ?? []));
  });
  filter.addEventListener('change', () => {
    render(latest.filter((j) => !filter.value || j.status === filter.value));
    void refresh();
  });
  void refresh();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
