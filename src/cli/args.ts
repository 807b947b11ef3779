/**
 * The value of `--name <value>` or `--name=<value>` in a command's arguments.
 *
 * @example
 * flag(['--port', '8080'], '--port'); // '8080'
 */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

/**
 * Whether a switch such as `--watch` is given.
 *
 * @example
 * hasFlag(['--watch'], '--watch'); // true
 */
export function hasFlag(args: readonly string[], name: string): boolean {
  return args.includes(name);
}

/**
 * A positive number from a flag (`fallback` when it is absent), or an error message naming `what` it
 * should be.
 *
 * @example
 * positiveNumber(['--interval', '0.5'], '--interval', 2); // 0.5
 * positiveNumber(['--rate', 'x'], '--rate', 4, 'requests per second'); // '--rate: "x" is not a positive number of requests per second'
 */
export function positiveNumber(args: readonly string[], name: string, fallback: number, what = 'seconds'): number | string {
  const text = flag(args, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : `${name}: "${text}" is not a positive number of ${what}`;
}
