// Draws the overview into the page. Every text goes through textContent: nothing from the server is parsed as HTML.
import { circuitText, clock, ms, percentiles, rate, share, tokens, usd } from './format.js';

const ROWS = [
  ['requests / min', (p) => rate(p.requests_per_minute)],
  ['failures / min', (p) => rate(p.failures_per_minute)],
  ['latency p50/95/99', (p) => percentiles(p.latency_ms)],
  ['first chunk p50', (p) => ms(p.first_chunk_ms.p50)],
  ['cost today', (p) => usd(p.today.cost_usd)],
  ['tokens today', (p) => tokens(p.today.tokens)],
  ['headroom req/tok', (p) => `${share(p.headroom.requests)} / ${share(p.headroom.tokens)}`],
  ['status page', (p) => p.status_page ?? '–'],
];

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

/** Builds one provider's card (once; `updateCard` fills it). */
function createCard(name, onReset) {
  const card = el('article', 'card');
  card.dataset.provider = name;
  const head = el('header');
  head.append(el('h3', '', name), el('span', 'muted type'), el('span', 'circuit'));
  const list = el('dl');
  for (const [label] of ROWS) list.append(el('dt', '', label), el('dd'));
  const reset = el('button', 'reset', 'Reset breaker');
  reset.type = 'button';
  reset.addEventListener('click', () => onReset(name, reset));
  card.append(head, list, reset);
  return card;
}

function updateCard(card, p) {
  card.dataset.circuit = p.circuit;
  card.querySelector('.type').textContent = p.type;
  const circuit = card.querySelector('.circuit');
  circuit.textContent = circuitText(p.circuit);
  circuit.className = `circuit ${p.circuit}`;
  const cells = card.querySelectorAll('dd');
  ROWS.forEach(([, value], i) => {
    cells[i].textContent = value(p);
  });
  card.querySelector('.reset').disabled = p.circuit === 'closed';
}

/** Renders the whole overview: header, totals, one card per provider (in chain order). */
export function renderOverview(data, onReset) {
  const status = document.getElementById('status');
  status.textContent = data.status;
  status.className = `pill ${data.status}`;
  const fleet = data.source === 'redis' ? `fleet-wide (Redis${data.instances ? `, ${data.instances} instance${data.instances === 1 ? '' : 's'} serving` : ''})` : 'this instance (no Redis)';
  document.getElementById('scope').textContent = `${fleet}; rates: ${data.rates === 'fleet' ? 'fleet' : 'this instance'}`;
  document.getElementById('strategy').textContent = data.mode ? `${data.strategy} (mode ${data.mode})` : data.strategy;
  document.getElementById('today-requests').textContent = String(data.today.requests);
  document.getElementById('today-tokens').textContent = tokens(data.today.tokens);
  document.getElementById('today-cost').textContent = usd(data.today.cost_usd);
  document.getElementById('updated').textContent = clock(data.at);
  const grid = document.getElementById('providers');
  const existing = new Map([...grid.children].map((c) => [c.dataset.provider, c]));
  const cards = data.providers.map((p) => {
    const card = existing.get(p.name) ?? createCard(p.name, onReset);
    updateCard(card, p);
    return card;
  });
  grid.replaceChildren(...cards);
}
