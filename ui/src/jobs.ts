// The job list: status filter, live updates (polling every 2 s), drag-and-drop upload.

import { type Api, type Job } from './api';
import { h, say, statusBadge, STATUS_LABEL, time } from './dom';
import { frame } from './shell';

const POLL_MS = 2000;

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
