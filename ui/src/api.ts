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
export interface OcrPage { page_index: number; width: number; height: number; lines: OcrLine[]; text: string }
export interface OcrResult { pages: OcrPage[]; text: string; model: string; plugins?: string[] }

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
      code = typeof body.code === 'string' ? body.code : code;
      message = typeof body.message === 'string' ? body.message : '';
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
