// Entry point: a hash router over the five screens (sign-in, jobs, review, result, pipeline).

import './style.css';
import { Api, loadCredentials } from './api';
import { jobsScreen } from './jobs';
import { pipelineScreen } from './pipeline';
import { resultScreen } from './result';
import { reviewScreen } from './review';
import { signInScreen } from './shell';

const root = document.getElementById('app')!;
let cleanup: (() => void) | null = null;

function route() {
  cleanup?.();
  cleanup = null;
  const creds = loadCredentials();
  const path = location.hash.replace(/^#/, '') || '/jobs';
  if (!creds || path === '/signin') {
    cleanup = signInScreen(root, () => {
      location.hash = '#/jobs';
      if (path === '/jobs') route();
    });
    return;
  }
  const api = new Api(creds);
  const m = path.match(/^\/jobs\/([0-9a-zA-Z-]+)\/(review|result)$/);
  if (m) cleanup = m[2] === 'review' ? reviewScreen(root, api, m[1]) : resultScreen(root, api, m[1]);
  else if (path === '/pipeline') cleanup = pipelineScreen(root, api);
  else cleanup = jobsScreen(root, api);
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
