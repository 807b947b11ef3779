/**
 * The checks every translator makes on provider JSON before reading it, defined once. Provider answers
 * and client bodies arrive as `unknown`; these narrow them without trusting their shape.
 */

/**
 * A parsed JSON object: any keys, values not yet checked.
 *
 * @example
 * const body: JsonObject = { model: 'm', messages: [] };
 */
export type JsonObject = Record<string, unknown>;

/**
 * Whether a parsed value is a JSON object (not null, not an array), so its fields can be read.
 *
 * @example
 * isObject({ a: 1 }); // true
 * isObject([1]);      // false
 * isObject(null);     // false
 */
export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The value when it is a finite number, else undefined (NaN and Infinity never reach a provider).
 *
 * @example
 * finiteNumber(0.5); // 0.5
 * finiteNumber('1'); // undefined
 */
export const finiteNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * A token count as providers report it: a missing or non-numeric count is 0 (Ollama omits zero counts).
 *
 * @example
 * tokenCount(12);        // 12
 * tokenCount(undefined); // 0
 */
export const tokenCount = (value: unknown): number => finiteNumber(value) ?? 0;

/**
 * JSON text as a value; undefined when the text is not JSON (JSON has no undefined, so the two never
 * mix). The parser's message is dropped: it quotes the text, which may be model output or a key.
 *
 * @example
 * parseJson('{"a":1}');      // { a: 1 }
 * parseJson('<html>502');    // undefined
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
