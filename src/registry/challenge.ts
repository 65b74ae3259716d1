// Parses WWW-Authenticate challenges (RFC 7235) as registries send them.

export interface Challenge {
  scheme: string; // lower-case: 'bearer' | 'basic' | ...
  params: Record<string, string>;
}

export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  // A scheme ends at whitespace, the end, or a comma (a parameterless challenge such as
  // `Negotiate, Basic realm="x"`, or several WWW-Authenticate headers joined by fetch).
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$|(?=\s*,))((?:\s*,?\s*[A-Za-z0-9_.-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s,]*))*)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null && m[0].length > 0) {
    const params: Record<string, string> = {};
    const pre = /([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
    let p: RegExpExecArray | null;
    while ((p = pre.exec(m[2] ?? '')) !== null) {
      params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    out.push({ scheme: m[1]!.toLowerCase(), params });
    const comma = /\s*,/y;
    comma.lastIndex = re.lastIndex;
    if (comma.exec(header)) re.lastIndex = comma.lastIndex;
  }
  return out;
}
