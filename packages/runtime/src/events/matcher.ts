/** Compiles a topic pattern (`*` one token, `>` the rest) into a predicate. Exact topics compare as strings. */
export function compilePattern(pattern: string): (topic: string) => boolean {
  if (pattern === '>') return () => true;
  if (!pattern.includes('*') && !pattern.includes('>')) return (t) => t === pattern;
  const pat = pattern.split('.');
  const tail = pat[pat.length - 1] === '>';
  const fixed = tail ? pat.length - 1 : pat.length;
  return (topic) => {
    const toks = topic.split('.');
    if (tail ? toks.length <= fixed : toks.length !== fixed) return false;
    for (let i = 0; i < fixed; i++) {
      const p = pat[i];
      if (p !== '*' && p !== toks[i]) return false;
    }
    return true;
  };
}
