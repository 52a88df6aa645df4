// The REST API client: credentials remembered per browser, every error turned into plain words.

export type Credentials = { kind: 'key'; key: string } | { kind: 'tenant'; tenant: string };

export type JobStatus =
  | 'PENDING_UPLOAD' | 'UPLOADED' | 'DETECTING' | 'DETECT_DONE'
  | 'OCR_QUEUED' | 'RECOGNIZING' | 'DONE' | 'FAILED';

export interface Job {
  job_id: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
  page_count: number | null;
  detect_revision: number;
  file: { name: string | null; content_type: string | null; size: number | null } | null;
  error: { code: string; message: string } | null;
  options: { lang?: string; auto_ocr?: boolean };
}

export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];
export interface TextBox { points: Quad; score: number }
export interface DetectPage { page_index: number; width: number; height: number; boxes: TextBox[] }
export interface DetectView { job_id: string; revision: number; pages: DetectPage[] }

export interface OcrLine {
  text: string;
  confidence: number;
  points: Quad;
  char_confidences: number[];
  machine_text?: string;
}
export type BlockKind = 'paragraph' | 'header' | 'table' | 'key_value';
export interface Block { id: number; kind: BlockKind; order: number; points: Quad; line_ids: number[] }
export interface TableCell { row: number; col: number; row_span: number; col_span: number; text: string; line_ids: number[] }
export interface Table { points: Quad; row_count: number; col_count: number; cells: TableCell[] }
export interface PairPart { text: string; points: Quad; line_ids: number[] }
export interface KeyValuePair { key: PairPart; value: PairPart }
/** A named value an `extract_fields` plugin found; `machine_value` once a reviewer corrected it. */
export interface Field {
  name: string;
  value: string;
  normalized?: string;
  confidence: number;
  page_index: number;
  line_ids: number[];
  machine_value?: string;
}
export interface OcrPage {
  page_index: number;
  width: number;
  height: number;
  lines: OcrLine[];
  text: string;
  blocks?: Block[];
  tables?: Table[];
  pairs?: KeyValuePair[];
}
export interface OcrResult { pages: OcrPage[]; text: string; model: string; plugins?: string[]; fields?: Field[] }

/** How much reviewers changed, per recognition model (rates are 0 when nothing was counted). */
export interface ModelQuality {
  model: string;
  jobs_reviewed: number;
  lines: number;
  lines_changed: number;
  line_change_rate: number;
  chars: number;
  char_errors: number;
  cer: number;
  boxes_machine: number;
  boxes_added: number;
  boxes_removed: number;
  boxes_moved: number;
  box_change_rate: number;
}
export interface DayQuality { day: string; jobs_reviewed: number; lines: number; lines_changed: number; line_change_rate: number; cer: number }
export interface QualityStats { from: string; to: string; models: ModelQuality[]; days: DayQuality[] }

export type Hook = 'filter_boxes' | 'normalize_text' | 'extract_fields';
export const HOOKS: Hook[] = ['filter_boxes', 'normalize_text', 'extract_fields'];
/** The readers a tenant may choose for its English lines. */
export const ENGLISH_READERS = ['ppocr', 'asternet'] as const;
export interface PipelineStep { plugin: string; config?: Record<string, string>; on_failure?: 'fail' | 'skip' }
export const SECOND_READERS = ['trueocr', 'none'] as const;
export type Pipeline = Partial<Record<Hook, PipelineStep[]>> & {
  english_reader?: (typeof ENGLISH_READERS)[number];
  second_reader?: (typeof SECOND_READERS)[number];
};
export interface PluginInfo { id: string; name: string; version: string; hooks: string[]; builtin: boolean }
export interface PipelineVersion { version: number; pipeline: Pipeline; created_at: string; source: string }
export interface PipelineVersions { current: number; versions: PipelineVersion[] }

/** `job_fails`: the step's policy is `fail`, so a job would fail here. */
export interface ReplayError { hook: string; plugin: string; page_index: number; code: string; message: string; job_fails?: boolean }
export interface ReplayJob {
  job_id: string;
  file_name: string | null;
  /** The live pipeline version the job ran with (null when it ran before any). */
  pipeline_version: number | null;
  boxes_input: number;
  boxes_live: number;
  boxes_kept: number;
  boxes_dropped: number;
  lines: number;
  lines_changed: number;
  diff: { page_index: number; line_index: number; before: string; after: string }[];
  errors: ReplayError[];
  elapsed_ms: number;
  fuel_used: number;
}
export interface ReplayReport {
  jobs: ReplayJob[];
  skipped: { job_id: string; reason: string }[];
  total: {
    jobs: number;
    boxes_kept: number;
    boxes_dropped: number;
    lines: number;
    lines_changed: number;
    errors_by_code: Record<string, number>;
    jobs_failing?: number;
    elapsed_ms: number;
    fuel_used: number;
  };
}

const STORE_KEY = 'ocr-review.credentials';

export function loadCredentials(): Credentials | null {
  try {
    const raw = localStorage.getItem(STORE_KEY);
    if (!raw) return null;
    const c = JSON.parse(raw) as Credentials;
    if (c.kind === 'key' && typeof c.key === 'string' && c.key) return c;
    if (c.kind === 'tenant' && typeof c.tenant === 'string' && c.tenant) return c;
  } catch {
    // A damaged entry is treated as signed out.
  }
  return null;
}

export function saveCredentials(c: Credentials): void {
  localStorage.setItem(STORE_KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  localStorage.removeItem(STORE_KEY);
}

export function who(c: Credentials): string {
  return c.kind === 'tenant' ? `tenant ${c.tenant}` : `API key ${c.key.slice(0, 12)}…`;
}

/** An API failure, with a sentence a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Rephrases the API's answer in plain words; the server's own message is kept when it helps. */
function plainWords(status: number, code: string, message: string): string {
  switch (code) {
    case 'unauthorized':
      return 'The server did not accept your API key. Check it, or sign out and sign in with another one.';
    case 'missing_tenant':
    case 'invalid_tenant':
      return `The server did not accept the tenant id: ${message}`;
    case 'rate_limited':
      return 'Too many requests in a short time. Wait a moment and try again.';
    case 'quota_exceeded':
      return 'This tenant already has as many jobs waiting or running as allowed. Wait for some to finish.';
    case 'payload_too_large':
      return `The file is too large for this server. ${message}`;
    case 'unsupported_media_type':
      return 'This file type is not supported. Upload a PNG, JPEG, WebP, BMP, TIFF or PDF.';
    case 'plugin_invalid':
      return `The server refused the pipeline: ${message}`;
    case 'job_not_found':
      return 'This job does not exist (or belongs to another tenant). It may have been deleted.';
    case 'service_unavailable':
      return 'A part of the server (database, queue or storage) is not answering. Try again shortly.';
    case 'internal':
      return 'The server hit an internal error. Try again; if it keeps happening, tell the operator.';
  }
  if (status === 412) return message;
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : `The server answered ${status}.`;
}

export class Api {
  constructor(readonly credentials: Credentials) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.credentials.kind === 'key') h['Authorization'] = `Bearer ${this.credentials.key}`;
    else h['X-Tenant-Id'] = this.credentials.tenant;
    return h;
  }

  /** Sends a request; resolves only on 2xx, else throws an ApiError in plain words. */
  async request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers: this.headers(init.headers ?? {}) });
    } catch {
      throw new ApiError(0, 'network', 'The server did not answer. Check that it is running and your network is up.');
    }
    if (res.ok) return res;
    let code = 'http_' + res.status;
    let message = '';
    try {
      const body = await res.json();
      // `{code, message}`, or the same nested under `error`.
      const e = body && typeof body.error === 'object' && body.error ? body.error : body;
      code = typeof e.code === 'string' ? e.code : code;
      message = typeof e.message === 'string' ? e.message : '';
    } catch {
      message = res.statusText;
    }
    throw new ApiError(res.status, code, plainWords(res.status, code, message));
  }

  async json<T>(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<T> {
    return (await this.request(path, init)).json() as Promise<T>;
  }

  listJobs(status: string): Promise<{ jobs: Job[] }> {
    const q = new URLSearchParams({ limit: '100' });
    if (status) q.set('status', status);
    return this.json(`/v1/ocr/jobs?${q}`);
  }

  /** The job; with `since`, a long poll: the answer comes when its status is no longer `since` (or after 25 s). */
  job(id: string, since?: string): Promise<Job> {
    const wait = since ? `?${new URLSearchParams({ wait: '25', since_status: since })}` : '';
    return this.json(`/v1/ocr/jobs/${encodeURIComponent(id)}${wait}`);
  }

  /** Creates a job and uploads the file to it: one job per file. */
  async uploadFile(file: File, lang: string): Promise<string> {
    const created = await this.json<{ job_id: string }>('/v1/ocr/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ lang }),
    });
    const form = new FormData();
    form.append('file', file, file.name);
    await this.request(`/v1/ocr/jobs/${created.job_id}/upload`, { method: 'POST', body: form });
    return created.job_id;
  }

  async detect(id: string): Promise<{ view: DetectView; etag: string }> {
    const res = await this.request(`/v1/ocr/jobs/${encodeURIComponent(id)}/detect`);
    return { view: (await res.json()) as DetectView, etag: res.headers.get('ETag') ?? '' };
  }

  async saveDetect(id: string, etag: string, pages: DetectPage[]): Promise<{ view: DetectView; etag: string }> {
    const res = await this.request(`/v1/ocr/jobs/${encodeURIComponent(id)}/detect`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'If-Match': etag },
      body: JSON.stringify({ job_id: id, pages }),
    });
    return { view: (await res.json()) as DetectView, etag: res.headers.get('ETag') ?? '' };
  }

  runOcr(id: string): Promise<unknown> {
    return this.json(`/v1/ocr/jobs/${encodeURIComponent(id)}/run-ocr`, { method: 'POST' });
  }

  result(id: string): Promise<OcrResult> {
    return this.json(`/v1/ocr/jobs/${encodeURIComponent(id)}/result`);
  }

  async editLine(id: string, page: number, line: number, text: string, etag: string | null) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (etag) headers['If-Match'] = etag;
    const res = await this.request(`/v1/ocr/jobs/${encodeURIComponent(id)}/result`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ edits: [{ page_index: page, line_index: line, text }] }),
    });
    return { result: (await res.json()) as OcrResult, etag: res.headers.get('ETag') };
  }

  /** Corrects a field's value (`index` into the result's `fields`, `name` its name, checked by the server). */
  async editField(id: string, index: number, name: string, value: string, etag: string | null) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (etag) headers['If-Match'] = etag;
    const res = await this.request(`/v1/ocr/jobs/${encodeURIComponent(id)}/result`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ fields: [{ index, name, value }] }),
    });
    return { result: (await res.json()) as OcrResult, etag: res.headers.get('ETag') };
  }

  /** What reviewers changed per model and per day; the server's default window is the last 30 days. */
  quality(): Promise<QualityStats> {
    return this.json('/v1/stats/quality');
  }

  pipeline(): Promise<Pipeline> {
    return this.json('/v1/pipeline');
  }

  /** Makes a pipeline live; resolves with the version it became (0 when the server does not say). */
  async putPipeline(pipeline: Pipeline): Promise<{ pipeline: Pipeline; version: number }> {
    const res = await this.request('/v1/pipeline', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(pipeline),
    });
    return { pipeline: (await res.json()) as Pipeline, version: Number(res.headers.get('X-Pipeline-Version')) || 0 };
  }

  pipelineVersions(): Promise<PipelineVersions> {
    return this.json('/v1/pipeline/versions');
  }

  /** Makes a copy of an earlier version the live one (a new version). */
  rollbackPipeline(version: number): Promise<PipelineVersion> {
    return this.json('/v1/pipeline/rollback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ version }),
    });
  }

  /** Runs a candidate pipeline on the last finished jobs' stored outputs; nothing is written. */
  replayPipeline(pipeline: Pipeline, last: number): Promise<ReplayReport> {
    return this.json('/v1/pipeline/replay', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ pipeline, last }),
    });
  }

  plugins(): Promise<{ plugins: PluginInfo[] }> {
    return this.json('/v1/plugins');
  }

  /** A page image as an object URL (the API needs credentials, so no plain <img src>). */
  async pageImage(id: string, page: number, width?: number): Promise<string> {
    const q = width ? `?width=${width}` : '';
    const res = await this.request(`/v1/ocr/jobs/${encodeURIComponent(id)}/pages/${page}/image${q}`);
    return URL.createObjectURL(await res.blob());
  }

  async download(path: string): Promise<Blob> {
    return (await this.request(path)).blob();
  }
}
