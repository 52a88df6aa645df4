// A few DOM helpers: the app is plain TypeScript over the DOM and SVG, no framework.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

function apply(el: Element, attrs: Attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    } else if (k === 'text') {
      el.textContent = String(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(el: Element, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Shows a message in a region (role=status for news, role=alert for errors). */
export function say(region: HTMLElement, kind: 'info' | 'ok' | 'error', text: string, ...actions: HTMLElement[]) {
  region.replaceChildren();
  if (!text) {
    region.hidden = true;
    return;
  }
  region.hidden = false;
  region.className = `notice notice-${kind}`;
  region.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  region.append(h('span', { class: 'notice-text' }, text), ...actions);
}

export function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const STATUS_LABEL: Record<string, string> = {
  PENDING_UPLOAD: 'Waiting for upload',
  UPLOADED: 'Queued for detection',
  DETECTING: 'Detecting text',
  DETECT_DONE: 'Boxes ready for review',
  OCR_QUEUED: 'Queued for recognition',
  RECOGNIZING: 'Recognizing text',
  DONE: 'Done',
  FAILED: 'Failed',
};

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.toLowerCase()}`, 'data-status': status, title: status }, STATUS_LABEL[status] ?? status);
}

export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Confidence in three levels, for colours: high (90 % and over), medium (70–90 %), low. */
export const confidenceLevel = (c: number) => (c >= 0.9 ? 'high' : c >= 0.7 ? 'medium' : 'low');
