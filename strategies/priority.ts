import type { Strategy } from '../src/routing/strategy.js';

/** The configured chain order: `routing.fallback_chain`, then the other providers in file order. */
const priority: Strategy = ({ candidates }) => [...candidates].sort((a, b) => a.chainIndex - b.chainIndex);

export default priority;
