// "Did you mean …?" for misspelt section and key names: the closest candidate by edit distance,
// when it is close enough to be a plausible typo.

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length < 3) return undefined; // 'D' is one slip from 'A', 'B' and 'C' alike: no useful guess
  const limit = word.length <= 4 ? 1 : 2; // typos are one or two slips; more suggests a different word
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = editDistance(word.toLowerCase(), name.toLowerCase());
    if (d <= limit && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** " did you mean 'x'?" or "" */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` did you mean '${match}'?`;
}
