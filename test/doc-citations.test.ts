/**
 * Every `docs/<name>.md §N` the code and the ADRs cite names a document of the repository and a
 * section of it that exists (`## N.` or `### N.M` headings), so a newcomer can follow each one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
const SCANNED = ['packages', 'services', 'scripts', 'test', 'docs/adr', 'README.md'];
/** This file, whose patterns and examples would cite themselves, is skipped too. */
const SKIPPED = new Set(['node_modules', 'dist', '.data', 'coverage']);

function filesUnder(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    if (SKIPPED.has(e.name) || e.name === 'doc-citations.test.ts') return [];
    const child = path.join(rel, e.name);
    if (e.isDirectory()) return filesUnder(child);
    return /\.(ts|md)$/.test(e.name) ? [child] : [];
  });
}

/** The section numbers of a markdown document: `## 9. Events` → 9, `### 1.7 Limits` → 1.7. */
function sectionsOf(doc: string): Set<string> {
  const text = readFileSync(path.join(ROOT, 'docs', doc), 'utf8');
  return new Set([...text.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1] ?? ''));
}

interface Citation {
  file: string;
  doc: string;
  section: string;
}

/** `docs/x.md §1.5, §1.7`, `docs/x.md §1.5–1.7` and `docs/x.md` §3 all cite each number. */
function citationsIn(file: string): Citation[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: Citation[] = [];
  for (const m of text.matchAll(/docs\/([a-z0-9-]+\.md)`?((?:\s*(?:§|,\s*§|–|-)\s*\d+(?:\.\d+)*)+)/g)) {
    for (const n of (m[2] ?? '').matchAll(/\d+(?:\.\d+)*/g))
      out.push({ file, doc: m[1] ?? '', section: n[0] });
  }
  return out;
}

describe('citations of docs/*.md sections', () => {
  const citations = SCANNED.flatMap(filesUnder).flatMap(citationsIn);
  const docs = new Map<string, Set<string>>();
  const sections = (doc: string): Set<string> | undefined => {
    if (!docs.has(doc)) {
      try {
        docs.set(doc, sectionsOf(doc));
      } catch {
        return undefined;
      }
    }
    return docs.get(doc);
  };

  it('finds the citations (the contracts and the Meta reference are both cited)', () => {
    const cited = new Set(citations.map((c) => c.doc));
    expect(cited.has('contracts.md') && cited.has('meta-cloud-api.md')).toBe(true);
    expect(citations.length).toBeGreaterThan(40);
  });

  it('every cited document and section exists', () => {
    const broken = citations
      .filter((c) => !sections(c.doc)?.has(c.section))
      .map((c) => `${c.file}: docs/${c.doc} §${c.section}`);
    expect(broken).toEqual([]);
  });

  it('nothing cites the documents outside the repository any more', () => {
    const legacy = SCANNED.flatMap(filesUnder).filter((f) =>
      /(?<![\w/])DESIGN §|(?<![\w/-])cloud-api\.md/.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(legacy).toEqual([]);
  });
});
