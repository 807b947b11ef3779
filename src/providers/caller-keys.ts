/**
 * The caller's own vendor keys (hybrid mode: `providers[].client_keys`), as they travel with one request.
 * They never leave this object except into the upstream call of a provider that takes them (and
 * `redact`, which removes them): not into logs (`toJSON` and `inspect` hide them), stores or events.
 *
 * @example
 * const keys = CallerKeys.fromHeaders(req.headers, gateway.keyBook.size > 0);
 * keys?.for('anthropic'); // the key the caller meant for anthropic, if any
 * JSON.stringify({ keys }); // '{"keys":"[redacted]"}'
 */
import { inspect } from 'node:util';
import { REDACTED, secretPattern } from './secret-pattern.js';

export class CallerKeys {
  readonly #general: string | undefined;
  readonly #byProvider: ReadonlyMap<string, string>;
  #pattern: RegExp | undefined | null = null;

  /**
   * @param general a key for every provider with `client_keys` set
   * @param byProvider a key for one provider only (wins over `general` for that provider)
   */
  constructor(general: string | undefined, byProvider: ReadonlyMap<string, string> = new Map()) {
    this.#general = general === '' ? undefined : general;
    // Header names arrive lower-cased: provider names match without regard to case.
    this.#byProvider = new Map([...byProvider].map(([name, key]) => [name.toLowerCase(), key]));
  }

  /**
   * The caller's keys from a request's headers: `x-switchyard-provider-key-<provider>` (that provider
   * only), `x-switchyard-provider-key` (every provider with `client_keys`), and, when the gateway takes
   * no client keys (`auth.keys` unset), the request's own `Authorization: Bearer` or `x-api-key`.
   * Undefined when the request carries none.
   *
   * @example
   * CallerKeys.fromHeaders({ 'x-switchyard-provider-key-anthropic': 'sk-ant-1' }, true)?.for('anthropic'); // 'sk-ant-1'
   * CallerKeys.fromHeaders({ authorization: 'Bearer sk-1' }, false)?.for('openai'); // 'sk-1'
   */
  static fromHeaders(h: Readonly<Record<string, string | string[] | undefined>>, gatewayTakesClientKeys: boolean): CallerKeys | undefined {
    let byProvider: Map<string, string> | undefined;
    for (const name in h) {
      if (!name.startsWith(PER_PROVIDER)) continue;
      const key = one(h[name]);
      if (key) (byProvider ??= new Map()).set(name.slice(PER_PROVIDER.length), key);
    }
    let general = one(h[GENERAL]);
    if (general === undefined && !gatewayTakesClientKeys) {
      const auth = one(h.authorization);
      general = auth?.startsWith('Bearer ') ? auth.slice(7).trim() || undefined : one(h['x-api-key']);
    }
    return general !== undefined || byProvider ? new CallerKeys(general, byProvider) : undefined;
  }

  /**
   * The key meant for `provider` (its name in any case): its own header's, else the general one. Only ask for a provider
   * whose `client_keys` is set: the key is for those alone.
   *
   * @example
   * new CallerKeys('sk-1', new Map([['gemini', 'g-2']])).for('gemini'); // 'g-2'
   */
  for(provider: string): string | undefined {
    return this.#byProvider.get(provider.toLowerCase()) ?? this.#general;
  }

  /** The text with every one of these keys replaced, in every encoding an echo may use. */
  redact(text: string): string {
    if (this.#pattern === null) this.#pattern = secretPattern([...(this.#general ? [this.#general] : []), ...this.#byProvider.values()]);
    if (!this.#pattern) return text;
    this.#pattern.lastIndex = 0;
    return text.replace(this.#pattern, REDACTED);
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `CallerKeys(${REDACTED})`;
  }
}

const GENERAL = 'x-switchyard-provider-key';
const PER_PROVIDER = `${GENERAL}-`;

const one = (v: string | string[] | undefined): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
};
