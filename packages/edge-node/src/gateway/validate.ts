/** The methods the gateway serves; anything else gets 405 before a hook or an upstream sees it. */
export const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Encoded slashes, backslashes and NUL would let a path mean one thing here and another upstream.
const FORBIDDEN = /%2f|%5c|%00|\\|[\x00-\x1f\x7f]/i;

/**
 * Why a request target is refused, or undefined when it is a clean absolute path: no `.` or `..` segment (also
 * percent-encoded), no encoded `/` or `\`, no control bytes, no empty segment inside, valid percent-encoding.
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not an absolute path';
  if (FORBIDDEN.test(path)) return 'has an encoded slash, a backslash or a control byte';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'has a malformed percent-encoding';
  }
  const segs = decoded.split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    if (s === '.' || s === '..') return 'has a dot segment';
    if (s === '' && i < segs.length - 1) return 'has an empty segment';
  }
  return undefined;
}

/** Splits a request target into path and query (without `?`). */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}
