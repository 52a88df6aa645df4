// Quad geometry of the box editor. Quads are four corners clockwise from the top-left, in page
// pixels; every quad sent to the server is clamped inside the page (the server refuses others).

import type { Point, Quad } from './api';

export const clampPoint = ([x, y]: Point, w: number, h: number): Point => [
  Math.min(Math.max(x, 0), w),
  Math.min(Math.max(y, 0), h),
];

export const clampQuad = (q: Quad, w: number, h: number): Quad => q.map((p) => clampPoint(p, w, h)) as Quad;

export const center = (q: Quad): Point => [
  (q[0][0] + q[1][0] + q[2][0] + q[3][0]) / 4,
  (q[0][1] + q[1][1] + q[2][1] + q[3][1]) / 4,
];

const mid = (a: Point, b: Point): Point => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

export function bounds(quads: Quad[]): { x0: number; y0: number; x1: number; y1: number } {
  const xs = quads.flatMap((q) => q.map((p) => p[0]));
  const ys = quads.flatMap((q) => q.map((p) => p[1]));
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/** Moves quads by (dx, dy), limited so that all of them stay inside the page. */
export function translateInside(quads: Quad[], dx: number, dy: number, w: number, h: number): Quad[] {
  const b = bounds(quads);
  const cdx = Math.min(Math.max(dx, -b.x0), w - b.x1);
  const cdy = Math.min(Math.max(dy, -b.y0), h - b.y1);
  return quads.map((q) => q.map(([x, y]) => [x + cdx, y + cdy]) as Quad);
}

export function rotate(q: Quad, angle: number, about: Point = center(q)): Quad {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return q.map(([x, y]) => {
    const dx = x - about[0];
    const dy = y - about[1];
    return [about[0] + dx * c - dy * s, about[1] + dx * s + dy * c];
  }) as Quad;
}

/** Angle of the quad's top edge. */
export const angleOf = (q: Quad) => Math.atan2(q[1][1] - q[0][1], q[1][0] - q[0][0]);

/** Dragging corner `i` to `to` while the opposite corner stays: the box stays a rectangle in its
 * own orientation (free: the corner alone moves, for skewed quads). */
export function resizeCorner(q: Quad, i: number, to: Point, free: boolean): Quad {
  if (free) {
    const out = q.map((p) => [...p]) as Quad;
    out[i] = to;
    return out;
  }
  const a = angleOf(q);
  const ux: Point = [Math.cos(a), Math.sin(a)];
  const uy: Point = [-Math.sin(a), Math.cos(a)];
  const fixed = q[(i + 2) % 4];
  const d: Point = [to[0] - fixed[0], to[1] - fixed[1]];
  const along = d[0] * ux[0] + d[1] * ux[1];
  const across = d[0] * uy[0] + d[1] * uy[1];
  const at = (s: number, t: number): Point => [fixed[0] + ux[0] * s + uy[0] * t, fixed[1] + ux[1] * s + uy[1] * t];
  // The four corners of the rectangle spanned by `fixed` and `to`, in the quad's own frame.
  const corners = [at(0, 0), at(along, 0), at(along, across), at(0, across)];
  // Order them clockwise from the corner that is top-left in the box's frame.
  const local = corners.map(([x, y]) => [
    (x - fixed[0]) * ux[0] + (y - fixed[1]) * ux[1],
    (x - fixed[0]) * uy[0] + (y - fixed[1]) * uy[1],
  ]);
  const minS = Math.min(...local.map((l) => l[0]));
  const minT = Math.min(...local.map((l) => l[1]));
  const maxS = Math.max(...local.map((l) => l[0]));
  const maxT = Math.max(...local.map((l) => l[1]));
  return [at(minS, minT), at(maxS, minT), at(maxS, maxT), at(minS, maxT)];
}

/** Two halves, cutting across the long side (a line box becomes its left and right halves). */
export function split(q: Quad): [Quad, Quad] {
  if (dist(q[0], q[1]) >= dist(q[1], q[2])) {
    const m01 = mid(q[0], q[1]);
    const m32 = mid(q[3], q[2]);
    return [
      [q[0], m01, m32, q[3]],
      [m01, q[1], q[2], m32],
    ];
  }
  const m12 = mid(q[1], q[2]);
  const m03 = mid(q[0], q[3]);
  return [
    [q[0], q[1], m12, m03],
    [m03, m12, q[2], q[3]],
  ];
}

/** The smallest quad in the first box's orientation that encloses them all. */
export function merge(quads: Quad[]): Quad {
  const a = angleOf(quads[0]);
  const origin: Point = [0, 0];
  const local = quads.map((q) => rotate(q, -a, origin));
  const b = bounds(local);
  const box: Quad = [
    [b.x0, b.y0],
    [b.x1, b.y0],
    [b.x1, b.y1],
    [b.x0, b.y1],
  ];
  return rotate(box, a, origin);
}

export const rect = (x0: number, y0: number, x1: number, y1: number): Quad => [
  [Math.min(x0, x1), Math.min(y0, y1)],
  [Math.max(x0, x1), Math.min(y0, y1)],
  [Math.max(x0, x1), Math.max(y0, y1)],
  [Math.min(x0, x1), Math.max(y0, y1)],
];

export const pointsAttr = (q: Quad) => q.map(([x, y]) => `${x},${y}`).join(' ');
