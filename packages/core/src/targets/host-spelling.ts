/** A URL's host as the WHATWG parser normalised it (`2130706433` → `127.0.0.1`), without IPv6 brackets. */
export function urlHost(url: string): string | undefined {
  try {
    return unbracket(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

/**
 * A bare host as the OS resolver would read it: `inet_aton` accepts `2130706433`, `0x7f000001` and `127.1`
 * as the WHATWG parser does. Anything that is not a bare host (a path, a user, a port) is left as given.
 */
export function canonicalHost(host: string): string {
  if (/[/?#@\\\s]/.test(host)) return host;
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return urlHost(`http://${bracketed}/`) ?? unbracket(host);
}

/** `[::1]` as URLs write it, `::1` as sockets want it. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
