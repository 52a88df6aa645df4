// The page frame: header with the signed-in identity, and the sign-in screen.

import { type Credentials, Api, clearCredentials, saveCredentials, who } from './api';
import { h, say } from './dom';

export function frame(root: HTMLElement, creds: Credentials | null, title: string, ...content: HTMLElement[]) {
  document.title = `${title} · OCR Review`;
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/jobs' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▣'), 'OCR Review'),
    creds
      ? h(
          'nav',
          { class: 'topnav', 'aria-label': 'Main' },
          h('a', { href: '#/jobs', 'aria-current': title === 'Jobs' ? 'page' : undefined }, 'Jobs'),
          h('a', { href: '#/pipeline', 'aria-current': title === 'Pipeline' ? 'page' : undefined }, 'Pipeline'),
          h('a', { href: '/docs', target: '_blank', rel: 'noopener' }, 'API docs'),
          h('span', { class: 'who', title: 'Signed in as' }, who(creds)),
          h(
            'button',
            {
              class: 'btn btn-ghost',
              type: 'button',
              onclick: () => {
                clearCredentials();
                location.hash = '#/signin';
                window.dispatchEvent(new HashChangeEvent('hashchange'));
              },
            },
            'Sign out',
          ),
        )
      : null,
  );
  root.replaceChildren(header, h('main', { id: 'main', class: 'main' }, ...content));
}

export function signInScreen(root: HTMLElement, done: () => void): () => void {
  const message = h('div', { class: 'notice', hidden: true });
  const keyInput = h('input', { id: 'signin-key', name: 'key', type: 'password', autocomplete: 'off', placeholder: 'ocrk_…', spellcheck: 'false' });
  const tenantInput = h('input', { id: 'signin-tenant', name: 'tenant', type: 'text', autocomplete: 'username', placeholder: 'acme', spellcheck: 'false' });
  const keyRadio = h('input', { type: 'radio', name: 'mode', value: 'key', id: 'mode-key' });
  const tenantRadio = h('input', { type: 'radio', name: 'mode', value: 'tenant', id: 'mode-tenant', checked: true });
  const keyField = h('div', { class: 'field' }, h('label', { for: 'signin-key' }, 'API key'), keyInput, h('p', { class: 'hint' }, 'Sent as Authorization: Bearer. Ask your operator for a key.'));
  const tenantField = h('div', { class: 'field' }, h('label', { for: 'signin-tenant' }, 'Tenant id'), tenantInput, h('p', { class: 'hint' }, 'Header mode (the local quickstart): sent as X-Tenant-Id.'));
  const sync = () => {
    keyField.hidden = !keyRadio.checked;
    tenantField.hidden = !tenantRadio.checked;
  };
  keyRadio.addEventListener('change', sync);
  tenantRadio.addEventListener('change', sync);
  sync();
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card signin',
      'aria-labelledby': 'signin-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const creds: Credentials = keyRadio.checked
          ? { kind: 'key', key: keyInput.value.trim() }
          : { kind: 'tenant', tenant: tenantInput.value.trim() };
        if ((creds.kind === 'key' && !creds.key) || (creds.kind === 'tenant' && !creds.tenant)) {
          say(message, 'error', keyRadio.checked ? 'Enter your API key.' : 'Enter a tenant id.');
          return;
        }
        submit.disabled = true;
        say(message, 'info', 'Checking…');
        try {
          await new Api(creds).listJobs('');
          saveCredentials(creds);
          done();
        } catch (err) {
          say(message, 'error', (err as Error).message);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', { class: 'lead' }, 'Review detected text boxes, run recognition and correct the text. Your sign-in is remembered on this browser.'),
    h(
      'fieldset',
      { class: 'modes' },
      h('legend', {}, 'How this server identifies you'),
      h('label', { class: 'radio' }, tenantRadio, 'Tenant id'),
      h('label', { class: 'radio' }, keyRadio, 'API key'),
    ),
    tenantField,
    keyField,
    message,
    submit,
  );
  frame(root, null, 'Sign in', form);
  tenantInput.focus();
  return () => {};
}
