/**
 * Why a `redis.url` cannot be used, or undefined when it can. ioredis would only say "Invalid URL" at
 * start-up (or read a non-numeric database as 0), so the parts are checked here and named.
 * Accepted: redis://[[user]:password@]host[:port][/db], rediss://..., or a unix socket path (/...).
 */
export function redisUrlProblem(url: string): string | undefined {
  if (url === '' || url.startsWith('/')) return undefined; // empty: no Redis; a path: a unix socket
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (!scheme) return 'expected redis://[:password@]host:port[/db] or rediss://...';
  if (!/^rediss?$/i.test(scheme[1]!)) return `scheme "${scheme[1]}:" is not redis: or rediss:`;
  const rest = url.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  // An IPv6 host is bracketed: [::1]:6379.
  const portText = hostPort.startsWith('[') ? /^\[[^\]]*\](?::(.*))?$/.exec(hostPort)?.[1] : hostPort.includes(':') ? hostPort.slice(hostPort.lastIndexOf(':') + 1) : undefined;
  const host = portText === undefined ? hostPort : hostPort.slice(0, hostPort.length - portText.length - 1);
  if (host === '' || host === '[]') return 'no host';
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) return `port "${portText}" is not a number`;
    if (Number(portText) < 1 || Number(portText) > 65_535) return `port ${portText} is out of range (1-65535)`;
  }
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd).replace(/[?#].*$/, '');
  if (path !== '' && path !== '/' && !/^\/\d+$/.test(path)) return `database "${path.slice(1)}" is not a number`;
  try {
    new URL(url);
  } catch {
    return 'not a valid URL';
  }
  return undefined;
}
