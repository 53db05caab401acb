/** Anything listed in pages: `seq` only grows, so a page token stays valid while items come and go. */
export interface Sequenced {
  readonly seq: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

const PREFIX = 'fake-aws:';

/**
 * One page of `items` (in `seq` order) after the position `nextToken` remembers. The token holds
 * the last seq returned rather than an offset, so items added or removed between pages neither
 * repeat nor go missing.
 */
export function pageOf<T extends Sequenced>(items: readonly T[], max: number, nextToken: string | undefined, invalidToken: () => Error): Page<T> {
  const after = nextToken === undefined ? -1 : decode(nextToken, invalidToken);
  const rest = items.filter((item) => item.seq > after);
  const page = rest.slice(0, max);
  const more = rest.length > page.length;
  return { items: page, nextToken: more ? encode(page[page.length - 1].seq) : undefined };
}

function encode(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`).toString('base64');
}

function decode(token: string, invalidToken: () => Error): number {
  const text = Buffer.from(token, 'base64').toString();
  const seq = Number(text.slice(PREFIX.length));
  if (!text.startsWith(PREFIX) || !Number.isInteger(seq)) throw invalidToken();
  return seq;
}
