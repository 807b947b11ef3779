// The dashboard: asks for the admin key when the gateway needs one, then polls /admin/overview and follows
// /admin/events. No framework, no build step.
import { followEvents } from './feed.js';
import { renderOverview } from './render.js';

const STORAGE_KEY = 'switchyard-admin-key';
const POLL_MS = 2000;

let key = sessionStorage.getItem(STORAGE_KEY);
let stop = new AbortController();
let timer;
/** Whether the notice says the gateway is unreachable (the next good reading clears it; an action's result stays). */
let unreachable = false;

const $ = (id) => document.getElementById(id);
const headers = () => (key ? { authorization: `Bearer ${key}` } : {});

function notice(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}

function showLogin(message) {
  stop.abort();
  clearTimeout(timer);
  $('main').hidden = true;
  $('reload').hidden = true;
  $('forget').hidden = true;
  $('login').hidden = false;
  notice(message);
  $('key').focus();
}

/** A call to an admin endpoint; a refused key sends the user back to the key form. */
async function admin(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...headers(), ...init.headers } });
  if (res.status === 401 || res.status === 403) {
    const body = await res.json().catch(() => null);
    showLogin(body?.error?.message ?? `HTTP ${res.status}`);
    throw new Error('unauthorized');
  }
  return res;
}

async function refresh() {
  clearTimeout(timer);
  try {
    const res = await admin('/admin/overview');
    renderOverview(await res.json(), resetBreaker);
    if (unreachable) notice('');
    unreachable = false;
  } catch (err) {
    if (err.message === 'unauthorized') return;
    unreachable = true;
    notice(`Gateway not reachable: ${err.message}`);
  }
  timer = setTimeout(refresh, POLL_MS);
}

async function resetBreaker(provider, button) {
  button.disabled = true;
  try {
    await admin(`/admin/circuit/${encodeURIComponent(provider)}/reset`, { method: 'POST' });
  } finally {
    await refresh();
  }
}

async function reloadConfig() {
  const res = await admin('/admin/reload', { method: 'POST' });
  const body = await res.json().catch(() => null);
  notice(res.ok ? 'Config reloaded.' : (body?.error?.message ?? `Reload failed: HTTP ${res.status}`));
  await refresh();
}

function start() {
  stop = new AbortController();
  $('login').hidden = true;
  $('main').hidden = false;
  $('reload').hidden = false;
  $('forget').hidden = !key;
  void refresh();
  // A breaker change shows at once, not at the next poll.
  void followEvents(headers(), stop.signal, (e) => e.type === 'breaker' && void refresh());
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  $('key').value = '';
  sessionStorage.setItem(STORAGE_KEY, key);
  start();
});
$('forget').addEventListener('click', () => {
  key = null;
  sessionStorage.removeItem(STORAGE_KEY);
  showLogin('');
});
$('reload').addEventListener('click', () => void reloadConfig().catch(() => {}));

// Ask for a key only when the gateway has admin keys and none is stored: no request fails on the way in.
fetch('/dashboard/auth')
  .then((r) => r.json())
  .then(({ key_required }) => (key_required && !key ? showLogin('') : start()))
  .catch(() => notice('Gateway not reachable.'));
