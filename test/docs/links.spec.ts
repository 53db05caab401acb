import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/*
 * The README and the pages under docs/ link to each other, to sections of each other and to files
 * of the repository. These tests read every page and check that each relative link still points
 * at a file, and each #fragment at a heading of its target, with the anchors GitHub makes.
 * External links are only checked to be well-formed: no network here.
 */

const ROOT = join(__dirname, '..', '..');
const README_MAX_LINES = 320;

/** README.md and every docs/*.md, as paths from the repository root. */
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];

const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

// --- A small Markdown reader ---------------------------------------------------------------------

/** The lines outside fenced code blocks (``` or ~~~), with their line numbers. */
function proseLines(markdown: string): Array<{ text: string; line: number }> {
  const lines: Array<{ text: string; line: number }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && marker) fence = marker;
    else if (fence !== undefined && marker && marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker) fence = undefined;
    else if (fence === undefined) lines.push({ text, line: index + 1 });
  });
  return lines;
}

/** A heading's text as GitHub renders it: no code ticks, links and images reduced to their text. */
function headingText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+/g, '')
    .replace(/<[^>]+>/g, '');
}

/**
 * The anchor GitHub gives a heading (github-slugger): lower case; every character that is not a
 * letter, a digit, `_`, `-` or a space dropped; each space a hyphen.
 */
function githubSlug(heading: string): string {
  return headingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a page, in order; a heading seen before gets -1, -2, ... as on GitHub. */
function anchorsOf(markdown: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(text);
    if (!heading) continue;
    const base = githubSlug(heading[1] ?? '');
    let anchor = base;
    while (seen.has(anchor)) {
      const count = seen.get(base)! + 1;
      seen.set(base, count);
      anchor = `${base}-${count}`;
    }
    seen.set(anchor, 0);
    anchors.push(anchor);
  }
  return anchors;
}

interface Link {
  target: string;
  line: number;
}

/** Every link target of a page: inline links and images, and <autolinks>; none from code. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[\s\S]*?\1/g, (code) => ' '.repeat(code.length));
    for (const match of prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^\s<>)]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      links.push({ target: match[1], line });
    }
    for (const match of prose.matchAll(/<((?:https?|mailto):[^\s<>]+)>/g)) links.push({ target: match[1], line });
  }
  return links;
}

/** What is wrong with one link of `page`, or undefined if nothing is. */
function problemOf(page: string, target: string): string | undefined {
  if (target === '') return 'an empty target';
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    if (!/^https?:/i.test(target)) return 'neither a relative link nor http(s)';
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return 'not a well-formed URL';
    }
    return url.hostname.includes('.') ? undefined : 'a URL without a host name';
  }
  const hash = target.indexOf('#');
  const path = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path === '' ? join(ROOT, page) : path.startsWith('/') ? join(ROOT, decodeURIComponent(path)) : resolve(ROOT, dirname(page), decodeURIComponent(path));
  const fromRoot = relative(ROOT, file);
  if (fromRoot.startsWith('..') || fromRoot.split(sep).includes('..')) return 'outside the repository';
  if (!existsSync(file)) return `no file ${fromRoot}`;
  if (fragment === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `a fragment on ${fromRoot}, which is not a Markdown page`;
  return anchorsOf(readFileSync(file, 'utf8')).includes(fragment) ? undefined : `no heading #${fragment} in ${fromRoot}`;
}

function problemsOf(page: string, kind: (target: string) => boolean): string[] {
  return linksOf(read(page))
    .filter(({ target }) => kind(target))
    .map(({ target, line }) => ({ target, line, problem: problemOf(page, target) }))
    .filter(({ problem }) => problem !== undefined)
    .map(({ target, line, problem }) => `${page}:${line} (${target}): ${problem}`);
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);
const hasFragment = (target: string) => !isExternal(target) && target.includes('#');

// --- The reader, on cases ------------------------------------------------------------------------

describe('githubSlug: the anchor GitHub gives a heading', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['Deploying on AWS ECS', 'deploying-on-aws-ecs'],
    ['Try it locally (`PLATFORM=local`)', 'try-it-locally-platformlocal'],
    ['Scaling quality: the simulator and the player tool', 'scaling-quality-the-simulator-and-the-player-tool'],
    ['What the simulation showed about the policy, and what changed', 'what-the-simulation-showed-about-the-policy-and-what-changed'],
    ['Task definition (EC2 launch type, dynamic host port)', 'task-definition-ec2-launch-type-dynamic-host-port'],
    ['One acting manager, and a standby', 'one-acting-manager-and-a-standby'],
    ['Latency: p50 / p99 at 1,000 servers', 'latency-p50--p99-at-1000-servers'],
    ['`LEASE_TABLE` and `FLEET_NAME`', 'lease_table-and-fleet_name'],
    ['Pre-tenuring, re-measured', 'pre-tenuring-re-measured'],
    ['0.5 s → 9.4 s', '05-s--94-s'],
    ['Über-große Flotten', 'über-große-flotten'],
    ['[The table](docs/x.md) of figures', 'the-table-of-figures'],
    ['  Trailing spaces  ', 'trailing-spaces'],
  ])('%j -> %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('anchorsOf: the anchors of a page', () => {
  it.each<[string, string, string[]]>([
    ['every level of ATX heading', '# A\n## B\n###### C', ['a', 'b', 'c']],
    ['closing hashes dropped', '## Logs ##', ['logs']],
    ['the same heading again gets -1, -2', '## Code\n## Code\n### Code', ['code', 'code-1', 'code-2']],
    ['a suffix never reuses an anchor a heading already has', '## A-1\n## A\n## A', ['a-1', 'a', 'a-2']],
    ['headings inside fenced code are not headings', '## A\n```sh\n#!/bin/bash\n# comment\n```\n~~~\n# B\n~~~\n## C', ['a', 'c']],
    ['a # without a space is not a heading', '#hashtag\n## Real', ['real']],
  ])('%s', (_case, markdown, anchors) => {
    expect(anchorsOf(markdown)).toEqual(anchors);
  });
});

describe('linksOf: the links of a page', () => {
  it.each<[string, string, string[]]>([
    ['an inline link', 'See [Operations](docs/operations.md).', ['docs/operations.md']],
    ['a link with a fragment and a title', '[IAM](deploying-on-ecs.md#iam-policy-of-the-manager "the policy")', ['deploying-on-ecs.md#iam-policy-of-the-manager']],
    ['a link whose text is code', '[`.env.example`](.env.example)', ['.env.example']],
    ['an image', '![plot](docs/plot.svg)', ['docs/plot.svg']],
    ['an autolink', 'at <https://example.com/a>', ['https://example.com/a']],
    ['two links on a line', '[a](a.md) and [b](b.md#c)', ['a.md', 'b.md#c']],
    ['nothing from inline code', 'run `[x](y)` or ``[z](w)``', []],
    ['nothing from fenced code', '```json\n["CMD", "node"]\n[a](b.md)\n```', []],
    ['brackets that are not links', 'a list [1, 2] and (3)', []],
  ])('%s', (_case, markdown, targets) => {
    expect(linksOf(markdown).map(({ target }) => target)).toEqual(targets);
  });
});

// --- The pages -----------------------------------------------------------------------------------

describe('README.md and docs/*.md', () => {
  it('finds the README and the docs pages', () => {
    expect(PAGES).toContain('README.md');
    expect(PAGES.length).toBeGreaterThan(1);
  });

  it(`README.md is at most ${README_MAX_LINES} lines`, () => {
    expect(read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it.each(PAGES)('%s: every relative link points to a file of the repository', (page) => {
    expect(problemsOf(page, (target) => !isExternal(target) && !hasFragment(target))).toEqual([]);
  });

  it.each(PAGES)('%s: every #fragment matches a heading of its target', (page) => {
    expect(problemsOf(page, hasFragment)).toEqual([]);
  });

  it.each(PAGES)('%s: every external link is a well-formed http(s) URL', (page) => {
    expect(problemsOf(page, isExternal)).toEqual([]);
  });

  it.each(PAGES.filter((page) => page !== 'README.md'))('%s is linked from the README', (page) => {
    const targets = linksOf(read('README.md')).map(({ target }) => target.split('#')[0]);
    expect(targets).toContain(page);
  });
});
