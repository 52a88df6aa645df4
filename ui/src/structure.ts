// The page structure over the page image: block outlines numbered in reading order, table row
// bands, and key–value links (key box → value box). Pure drawing: an SVG group from a page.

import type { OcrPage, Quad, Table } from './api';
import { s } from './dom';
import { bounds, center, pointsAttr, rect } from './geometry';

/** One band per table row: the table's width, the height of that row's lines. */
function rowBands(page: OcrPage, table: Table): Quad[] {
  const t = bounds([table.points]);
  const bands: Quad[] = [];
  for (let row = 0; row < table.row_count; row++) {
    const quads = table.cells
      .filter((c) => c.row === row)
      .flatMap((c) => c.line_ids)
      .map((i) => page.lines[i]?.points)
      .filter((q): q is Quad => q !== undefined);
    if (quads.length === 0) continue;
    const b = bounds(quads);
    bands.push(rect(t.x0, b.y0, t.x1, b.y1));
  }
  return bands;
}

/** The arrow head the pair links end with (one per SVG: ids are document-wide). */
export function arrowDefs(): SVGDefsElement {
  return s(
    'defs',
    {},
    s(
      'marker',
      { id: 'pair-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'pair-arrow' }),
    ),
  );
}

/** Blocks, table rows and pairs of `page`, to put over its image. */
export function structureLayer(page: OcrPage): SVGGElement {
  const size = Math.max(12, Math.round(page.width / 55));
  const blocks = (page.blocks ?? []).map((b) => {
    const top = bounds([b.points]);
    return s(
      'g',
      { class: `block block-${b.kind}`, 'data-block': b.id, 'data-order': b.order },
      s('polygon', { class: 'block-box', points: pointsAttr(b.points) }),
      s('text', { class: 'block-order', x: top.x0 + 2, y: top.y0 - 3, 'font-size': size }, b.order + 1),
      s('title', {}, `Block ${b.order + 1} in reading order: ${b.kind.replace('_', '–')}`),
    );
  });
  const rows = (page.tables ?? []).flatMap((t, ti) =>
    rowBands(page, t).map((q, r) => s('polygon', { class: `table-row ${r % 2 ? 'odd' : 'even'}`, points: pointsAttr(q), 'data-table': ti, 'data-row': r })),
  );
  const pairs = (page.pairs ?? []).map((p, i) => {
    const [k, v] = [center(p.key.points), center(p.value.points)];
    return s(
      'g',
      { class: 'pair', 'data-pair': i },
      s('polygon', { class: 'pair-key', points: pointsAttr(p.key.points) }),
      s('polygon', { class: 'pair-value', points: pointsAttr(p.value.points) }),
      s('line', { class: 'pair-link', x1: k[0], y1: k[1], x2: v[0], y2: v[1], 'marker-end': 'url(#pair-arrow)' }),
      s('title', {}, `${p.key.text} → ${p.value.text}`),
    );
  });
  return s('g', { class: 'structure' }, ...rows, ...blocks, ...pairs);
}
