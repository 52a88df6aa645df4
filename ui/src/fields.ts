// The "Fields" panel of the result screen: each field an `extract_fields` plugin found, with
// its normalized value and confidence; a reviewer corrects a value in place (kept like a line
// correction: the machine's value stays beside it).

import type { Field } from './api';
import { confidenceLevel, h } from './dom';

export interface FieldHandlers {
  /** Highlights (or stops highlighting) the field's lines. */
  highlight: (field: Field, on: boolean) => void;
  /** Saves a corrected value. */
  save: (index: number, field: Field, value: string) => void;
}

export function fieldsPanel(fields: Field[], on: FieldHandlers): HTMLElement {
  if (fields.length === 0) return h('p', { class: 'hint' }, 'No fields: the tenant pipeline has no extract_fields step, or it found nothing.');
  return h(
    'table',
    { class: 'fields-table', 'aria-label': 'Fields' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Normalized'), h('th', { scope: 'col' }, 'Confidence'))),
    h(
      'tbody',
      {},
      ...fields.map((f, i) => {
        const edited = f.machine_value !== undefined;
        const level = confidenceLevel(f.confidence);
        const input = h('input', { type: 'text', value: f.value, 'aria-label': `Field ${f.name} value`, spellcheck: 'false' });
        input.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') input.blur();
          if (e.key === 'Escape') {
            input.value = f.value;
            input.blur();
          }
        });
        input.addEventListener('change', () => {
          if (input.value !== f.value) on.save(i, f, input.value);
        });
        input.addEventListener('focus', () => on.highlight(f, true));
        input.addEventListener('blur', () => on.highlight(f, false));
        const name = h('button', { type: 'button', class: 'field-name', title: 'Show its lines on the page', onclick: () => on.highlight(f, true) }, f.name);
        const row = h(
          'tr',
          { class: `field-row${edited ? ' human' : ''}`, 'data-field': f.name, 'data-human': edited ? 'true' : 'false' },
          h('th', { scope: 'row' }, name),
          h('td', {}, input, edited ? h('span', { class: 'edited', title: `Machine read: ${f.machine_value}` }, 'Edited') : null),
          h('td', { class: 'field-normalized' }, f.normalized ?? '—'),
          h('td', {}, h('span', { class: `conf conf-${level}` }, `${Math.round(f.confidence * 100)} %`)),
        );
        row.addEventListener('pointerleave', () => on.highlight(f, false));
        return row;
      }),
    ),
  );
}
