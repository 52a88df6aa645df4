// The pipeline screen: the live plugin pipeline and its versions (any older one can be rolled
// back to), and a candidate edited as JSON, replayed on the last finished jobs (nothing is
// written) before it is made live.

import { type Api, ENGLISH_READERS, HOOKS, SECOND_READERS, type Hook, type Pipeline, type PipelineVersions, type PluginInfo, type ReplayJob, type ReplayReport } from './api';
import { h, say, time } from './dom';
import { frame } from './shell';

/** How many finished jobs a replay runs on. */
const REPLAY_LAST = 20;

const EXAMPLE = '{"normalize_text": [{"plugin": "builtin.text-normalizer"}]}';

const pretty = (p: Pipeline) => JSON.stringify(p, null, 2);

/** Reads the editor: a pipeline, or a sentence saying what is wrong with it. */
export function parseCandidate(text: string): Pipeline | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `This is not valid JSON (${(err as Error).message}). Nothing was sent.`;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `The pipeline must be a JSON object, for example ${EXAMPLE}.`;
  for (const [hook, steps] of Object.entries(v)) {
    if (hook === 'english_reader') {
      if (!(ENGLISH_READERS as readonly unknown[]).includes(steps)) return `english_reader is one of ${ENGLISH_READERS.join(', ')}.`;
      continue;
    }
    if (hook === 'second_reader') {
      if (!(SECOND_READERS as readonly unknown[]).includes(steps)) return `second_reader is one of ${SECOND_READERS.join(', ')}.`;
      continue;
    }
    if (!HOOKS.includes(hook as Hook)) return `Unknown key "${hook}": a pipeline has only ${HOOKS.join(', ')}, english_reader and second_reader.`;
    if (!Array.isArray(steps)) return `${hook} must be a list of steps, for example [{"plugin": "builtin.min-box-filter"}].`;
    for (const [i, step] of steps.entries()) {
      if (!step || typeof step !== 'object' || typeof step.plugin !== 'string' || !step.plugin) return `Step ${i + 1} of ${hook} needs a "plugin" id.`;
    }
  }
  return v as Pipeline;
}

/** The common start and end of two lines, and what differs between them. */
function split(before: string, after: string): { head: string; was: string; now: string; tail: string } {
  const a = Array.from(before);
  const b = Array.from(after);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  let j = 0;
  while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  return { head: a.slice(0, i).join(''), was: a.slice(i, a.length - j).join(''), now: b.slice(i, b.length - j).join(''), tail: a.slice(a.length - j).join('') };
}

const sourceLabel = (source: string) => {
  const m = source.match(/^rollback:(\d+)$/);
  return m ? `Rolled back to v${m[1]}` : source === 'put' ? 'Made live' : source;
};

function jobReport(j: ReplayJob): HTMLElement {
  const name = j.file_name || j.job_id;
  return h(
    'article',
    { class: 'replay-job', 'data-testid': 'replay-job', 'data-job': j.job_id, 'aria-label': name },
    h('h3', { class: 'doc-name' }, name),
    h(
      'p',
      { class: 'hint' },
      `${j.pipeline_version ? `Ran with v${j.pipeline_version}` : 'Ran before any pipeline version'} · boxes: ${j.boxes_input} detected, ${j.boxes_live} kept live, ${j.boxes_kept} kept by the candidate (${j.boxes_dropped} dropped)` +
        ` · ${j.lines_changed} of ${j.lines} lines changed · ${j.elapsed_ms.toFixed(1)} ms`,
    ),
    j.diff.length
      ? h(
          'ol',
          { class: 'diff', 'aria-label': `Changed lines of ${name}` },
          ...j.diff.map((d) => {
            const c = split(d.before, d.after);
            return h(
              'li',
              { class: 'diff-line', 'data-testid': 'diff-line' },
              h('span', { class: 'line-no' }, `p${d.page_index + 1} · ${d.line_index + 1}`),
              h('span', { class: 'diff-before' }, h('span', { class: 'visually-hidden' }, 'Before: '), c.head, c.was ? h('del', {}, c.was) : null, c.tail),
              h('span', { class: 'diff-arrow', 'aria-hidden': 'true' }, '→'),
              h('span', { class: 'diff-after' }, h('span', { class: 'visually-hidden' }, ', after: '), c.head, c.now ? h('ins', {}, c.now) : null, c.tail),
            );
          }),
        )
      : h('p', { class: 'hint' }, 'No line changes.'),
    j.errors.length
      ? h(
          'ul',
          { class: 'replay-errors', 'aria-label': `Plugin errors on ${name}` },
          ...j.errors.map((e) =>
            h('li', { class: 'doc-error', 'data-code': e.code }, `${e.hook} · ${e.plugin} · page ${e.page_index + 1}: ${e.code} — ${e.message}${e.job_fails === undefined ? '' : e.job_fails ? ' (the job would fail)' : ' (skipped by its policy)'}`),
          ),
        )
      : null,
  );
}

function totals(r: ReplayReport): HTMLElement {
  const t = r.total;
  const errors = Object.entries(t.errors_by_code);
  const item = (k: string, v: string) => h('div', {}, h('dt', {}, k), h('dd', {}, v));
  return h(
    'dl',
    { class: 'totals', 'data-testid': 'replay-total' },
    item('Jobs', String(t.jobs)),
    item('Boxes', `${t.boxes_kept} kept, ${t.boxes_dropped} dropped`),
    item('Lines changed', `${t.lines_changed} of ${t.lines}`),
    item('Errors', errors.length ? errors.map(([code, n]) => `${code} × ${n}`).join(', ') : 'none'),
    t.jobs_failing !== undefined ? item('Jobs that would fail', String(t.jobs_failing)) : null,
    item('Time', `${t.elapsed_ms.toFixed(1)} ms`),
    item('Fuel', t.fuel_used.toLocaleString()),
  );
}

export function pipelineScreen(root: HTMLElement, api: Api): () => void {
  let stopped = false;
  let prefilled = false;
  const message = h('div', { class: 'notice', hidden: true });
  const candidateMessage = h('div', { class: 'notice', hidden: true });
  const liveVersion = h('p', { id: 'live-version', 'data-testid': 'live-version' }, 'Loading…');
  const liveJson = h('pre', { id: 'live-json', class: 'json', 'data-testid': 'live-json', tabindex: 0, 'aria-label': 'Live pipeline as JSON' });
  const versionRows = h('tbody');
  const versionsEmpty = h('p', { class: 'hint', hidden: true }, 'No version yet: make a pipeline live to start the history.');
  const versionsTable = h(
    'table',
    { class: 'jobs versions', 'data-testid': 'versions' },
    h('caption', { class: 'visually-hidden' }, 'Pipeline versions, newest first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Made'), h('th', { scope: 'col' }, 'How'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    versionRows,
  );
  const editor = h('textarea', {
    id: 'candidate',
    class: 'json-editor',
    rows: 14,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'candidate-hint candidate-error',
    'data-testid': 'candidate',
  });
  const editorError = h('p', { id: 'candidate-error', class: 'field-error', role: 'alert', hidden: true });
  const pluginList = h('div', { class: 'plugin-help' }, h('p', { class: 'hint' }, 'Loading plugins…'));
  const replayBtn = h('button', { type: 'button', id: 'replay', class: 'btn btn-primary' }, `Replay on the last ${REPLAY_LAST} jobs`);
  const liveBtn = h('button', { type: 'button', id: 'make-live', class: 'btn btn-accent' }, 'Make live');
  const resetBtn = h('button', { type: 'button', id: 'reset-candidate', class: 'btn' }, 'Reset to live');
  const report = h('section', { class: 'card', id: 'replay-report', 'data-testid': 'replay-report', 'aria-labelledby': 'replay-title', hidden: true });

  frame(
    root,
    api.credentials,
    'Pipeline',
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'pipeline-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h1', { id: 'pipeline-title' }, 'Pipeline'),
        h('span', { class: 'hint' }, 'The plugins every new job of this tenant runs through: filter_boxes after detection, normalize_text after recognition, extract_fields on the final text and its structure; english_reader (ppocr or asternet) reads its English lines; second_reader (trueocr or none) re-reads the Vietnamese lines asternet is unsure of.'),
      ),
      message,
      h('div', { class: 'pipeline-grid' }, h('div', {}, h('h2', {}, 'Live'), liveVersion, liveJson), h('div', {}, h('h2', { id: 'versions-title' }, 'Versions'), h('div', { class: 'table-wrap' }, versionsTable), versionsEmpty)),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'candidate-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'candidate-title' }, 'Candidate')),
      h(
        'div',
        { class: 'pipeline-grid' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'candidate' }, 'Candidate pipeline (JSON)'),
          editor,
          h('p', { id: 'candidate-hint', class: 'hint' }, `Replay runs it on the stored results of the last ${REPLAY_LAST} finished jobs and changes nothing; Make live makes it a new version.`),
          editorError,
          h('div', { class: 'button-row' }, replayBtn, liveBtn, resetBtn),
          candidateMessage,
        ),
        h('div', {}, h('h3', { id: 'plugins-title' }, 'Available plugins'), pluginList),
      ),
    ),
    report,
  );

  /** The editor's pipeline, or null after saying inline what is wrong (no request is made). */
  const candidate = (): Pipeline | null => {
    const p = parseCandidate(editor.value);
    const bad = typeof p === 'string';
    editorError.hidden = !bad;
    editorError.textContent = bad ? p : '';
    if (bad) editor.setAttribute('aria-invalid', 'true');
    else editor.removeAttribute('aria-invalid');
    return bad ? null : p;
  };
  editor.addEventListener('input', () => {
    if (!editorError.hidden) candidate();
  });

  const actions = [replayBtn, liveBtn, resetBtn];
  /** Runs one request at a time (every action button off meanwhile); a failure is said in `region`. */
  const busy = async (region: HTMLElement, work: () => Promise<void>) => {
    for (const b of [...actions, ...versionRows.querySelectorAll('button')]) (b as HTMLButtonElement).disabled = true;
    try {
      await work();
    } catch (err) {
      if (!stopped) say(region, 'error', (err as Error).message);
    } finally {
      for (const b of [...actions, ...versionRows.querySelectorAll('button')]) (b as HTMLButtonElement).disabled = false;
    }
  };

  const showVersions = (v: PipelineVersions) => {
    liveVersion.dataset.version = String(v.current);
    const live = v.versions.find((x) => x.version === v.current);
    liveVersion.textContent = v.current ? `Version ${v.current}${live ? `, made live ${time(live.created_at)}` : ''}` : 'No version yet: jobs run without plugins.';
    versionsEmpty.hidden = v.versions.length > 0;
    versionsTable.hidden = v.versions.length === 0;
    versionRows.replaceChildren(
      ...v.versions.map((x) =>
        h(
          'tr',
          { 'data-version': x.version, 'data-source': x.source, 'aria-current': x.version === v.current ? 'true' : undefined },
          h('td', { class: 'num' }, `v${x.version} `, x.version === v.current ? h('span', { class: 'badge badge-done' }, 'Live') : null),
          h('td', {}, time(x.created_at)),
          h('td', {}, sourceLabel(x.source)),
          h(
            'td',
            { class: 'actions' },
            x.version < v.current
              ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => void busy(message, () => rollback(x.version)) }, `Roll back to v${x.version}`)
              : null,
          ),
        ),
      ),
    );
  };

  const load = async () => {
    const [pipeline, versions] = await Promise.all([api.pipeline(), api.pipelineVersions()]);
    if (stopped) return;
    liveJson.textContent = pretty(pipeline);
    showVersions(versions);
    if (!prefilled) {
      editor.value = pretty(pipeline);
      prefilled = true;
    }
  };

  async function rollback(version: number) {
    const r = await api.rollbackPipeline(version);
    if (stopped) return;
    say(candidateMessage, 'info', '');
    say(message, 'ok', `Version ${r.version} is live: a copy of version ${version}.`);
    await load();
  }

  const showPlugins = (plugins: PluginInfo[]) => {
    pluginList.replaceChildren(
      ...HOOKS.map((hook) => {
        const mine = plugins.filter((p) => p.hooks.includes(hook));
        return h(
          'div',
          { class: 'plugin-hook', 'data-hook': hook },
          h('h4', {}, h('code', {}, hook)),
          mine.length
            ? h(
                'ul',
                { class: 'plugin-list' },
                ...mine.map((p) =>
                  h(
                    'li',
                    { 'data-plugin': p.id },
                    h('code', {}, p.id),
                    h('span', { class: 'hint' }, ` ${p.name} ${p.version}${p.builtin ? ' (built-in)' : ''} `),
                    h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Add ${p.id} to ${hook}`, onclick: () => addStep(hook, p.id) }, 'Add'),
                  ),
                ),
              )
            : h('p', { class: 'hint' }, 'None.'),
        );
      }),
    );
  };

  /** Appends a step to the candidate (when it reads as a pipeline). */
  const addStep = (hook: Hook, plugin: string) => {
    const p = candidate();
    if (!p) return;
    p[hook] = [...(p[hook] ?? []), { plugin }];
    editor.value = pretty(p);
    editor.focus();
  };

  replayBtn.addEventListener('click', () => {
    const p = candidate();
    if (!p) return editor.focus();
    void busy(candidateMessage, async () => {
      say(candidateMessage, 'info', `Replaying on the last ${REPLAY_LAST} jobs…`);
      report.setAttribute('aria-busy', 'true');
      try {
        const r = await api.replayPipeline(p, REPLAY_LAST);
        if (stopped) return;
        report.hidden = false;
        const title = h('h2', { id: 'replay-title', tabindex: -1 }, 'Replay report');
        report.replaceChildren(h('div', { class: 'card-head' }, title), totals(r), ...r.jobs.map(jobReport));
        if (!r.jobs.length) report.append(h('p', { class: 'empty' }, 'No finished jobs to replay on yet.'));
        if (r.skipped.length) {
          const items = r.skipped.map((x) => h('li', { 'data-job': x.job_id }, h('code', {}, x.job_id), ` — ${x.reason}`));
          report.append(h('h3', {}, 'Skipped'), h('ul', { class: 'skipped' }, ...items));
        }
        say(candidateMessage, 'ok', `Replayed on ${r.total.jobs} job${r.total.jobs === 1 ? '' : 's'}: ${r.total.lines_changed} of ${r.total.lines} lines would change. Nothing was written.`);
        title.focus();
      } finally {
        report.removeAttribute('aria-busy');
      }
    });
  });

  liveBtn.addEventListener('click', () => {
    const p = candidate();
    if (!p) return editor.focus();
    void busy(candidateMessage, async () => {
      const r = await api.putPipeline(p);
      if (stopped) return;
      say(message, 'info', '');
      await load();
      const v = r.version || Number(liveVersion.dataset.version);
      say(candidateMessage, 'ok', `Version ${v} is live.`);
    });
  });

  resetBtn.addEventListener('click', () => {
    editor.value = liveJson.textContent ?? '';
    candidate();
    say(candidateMessage, 'info', '');
  });

  void busy(message, load);
  api
    .plugins()
    .then(({ plugins }) => !stopped && showPlugins(plugins))
    .catch((err) => pluginList.replaceChildren(h('p', { class: 'hint' }, `The plugin list is not available: ${(err as Error).message}`)));

  return () => {
    stopped = true;
  };
}
