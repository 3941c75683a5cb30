/** The host name of a Host header value or URL authority: lower case, port dropped, IPv6 in brackets. */
export function hostNameOf(authority: string): string {
  const lower = authority.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end < 0 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}

/** Whether dashboard.allowed_hosts admits the host name ("*" admits all). */
export function isAllowedHost(allowed: readonly string[], host: string): boolean {
  return allowed.includes('*') || allowed.includes(host);
}
