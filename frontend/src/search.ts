// What a search matched, for highlighting. The API searches with PostgreSQL's
// websearch_to_tsquery ('simple' configuration): words, "quoted phrases", -excluded words, and
// `or` between alternatives. The words to highlight are the ones a match must or may contain.

/** Lower-case words a result may contain, from a search query (excluded words left out). */
export function matchedTerms(query: string): string[] {
  const terms: string[] = [];
  const pattern = /(-?)"([^"]*)"?|(\S+)/g;
  for (const found of query.matchAll(pattern)) {
    const [, minus, phrase, word] = found;
    if (phrase !== undefined) {
      if (minus) continue;
      terms.push(...words(phrase));
    } else if (word !== undefined) {
      if (word.startsWith("-") || word.toLowerCase() === "or") continue;
      terms.push(...words(word));
    }
  }
  return [...new Set(terms)];
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((word) => word.length > 0);
}

export interface Segment {
  text: string;
  match: boolean;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` cut into plain and matched pieces: whole words only, any case. */
export function highlightSegments(text: string, terms: readonly string[]): Segment[] {
  if (terms.length === 0 || !text) return [{ text, match: false }];
  const alternatives = [...terms].sort((a, b) => b.length - a.length).map(escape).join("|");
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives})(?![\\p{L}\\p{N}_])`, "giu");
  const segments: Segment[] = [];
  let last = 0;
  for (const found of text.matchAll(pattern)) {
    const start = found.index ?? 0;
    if (start > last) segments.push({ text: text.slice(last, start), match: false });
    segments.push({ text: found[0], match: true });
    last = start + found[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), match: false });
  return segments;
}
