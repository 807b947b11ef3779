import type { RoutingView } from '../config/modes.js';
import { type ApiError, gatewayError } from './errors.js';

/**
 * The mode in force on this instance: set at start from `mode:` (or from the fleet's, through Redis),
 * switched by POST /admin/mode. It outlives config reloads while the reloaded config still has it.
 *
 * @example
 * const modes = new ModeSwitch('production');
 * modes.onChange((mode) => console.log('now', mode));
 * modes.set('budget');
 */
export class ModeSwitch {
  private listeners: Array<(mode: string | undefined, previous: string | undefined) => void> = [];

  constructor(private current: string | undefined) {}

  get active(): string | undefined {
    return this.current;
  }

  set(mode: string | undefined): void {
    if (mode === this.current) return;
    const previous = this.current;
    this.current = mode;
    for (const l of this.listeners) l(mode, previous);
  }

  onChange(listener: (mode: string | undefined, previous: string | undefined) => void): void {
    this.listeners.push(listener);
  }
}

/**
 * The routing view a request is routed by: the mode it asks for (`x-switchyard-mode`), else the active
 * one, else the top-level settings; an unknown mode is the caller's error (400 `unknown_mode`).
 *
 * @example
 * const view = routingView(base, loaded.modes, 'budget', undefined);
 * if ('status' in view) return refused(view);
 */
export function routingView(base: RoutingView, modes: ReadonlyMap<string, RoutingView>, active: string | undefined, requested: string | undefined): RoutingView | ApiError {
  const name = requested ?? active;
  if (name === undefined) return base;
  const view = modes.get(name);
  if (view) return view;
  if (requested === undefined) return base; // an active mode a reload removed: the top level until switched
  return gatewayError('unknown_mode', `Unknown mode "${requested}" in x-switchyard-mode (modes: ${[...modes.keys()].join(', ') || 'none configured'}).`, 'x-switchyard-mode');
}
