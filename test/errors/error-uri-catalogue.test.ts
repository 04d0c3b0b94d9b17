/**
 * Every error explains itself: a static walk over src/ finds each `new OAuthError(` (multi-line calls
 * included) and checks that it names a requirement of spec/, and that the page its error_uri points
 * to renders that requirement's text.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirementCatalogue } from '../../src/errors/requirement-catalogue.js';
import { escapeHtml } from '../../src/http/html.js';
import { createTestContextWithApp, type TestContext } from '../support/test-context.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface ThrowSite {
  where: string;
  call: string;
  code?: string;
  requirement?: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The text of the call opened at `start`: up to its closing parenthesis, skipping strings. */
function callText(source: string, start: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = source.indexOf('(', start); i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (depth === 0) return source.slice(start, i + 1);
    }
  }
  throw new Error(`unterminated call at ${start}`);
}

function throwSites(): ThrowSite[] {
  return sourceFiles(join(ROOT, 'src')).flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(/new OAuthError\(/g)].map((match) => {
      const call = callText(source, match.index);
      const line = source.slice(0, match.index).split('\n').length;
      return {
        where: `${relative(ROOT, file)}:${line}`,
        call,
        code: /^new OAuthError\(\s*'([a-z_]+)'/.exec(call)?.[1],
        requirement: /\brequirement\s*:\s*'([^']+)'/.exec(call)?.[1],
      };
    });
  });
}

/** Requirement ids written as string literals anywhere in src/, helpers' arguments included. */
function requirementLiterals(): { where: string; id: string }[] {
  const id = /'((?:RFC|OIDC|ASVS|CASTELLAN|FORMPOST|BCL|RPL|DISC)[A-Z0-9]*-[A-Za-z0-9.-]*[A-Za-z0-9])'/g;
  return sourceFiles(join(ROOT, 'src')).flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(id)].map((match) => ({ where: relative(ROOT, file), id: match[1] }));
  });
}

describe('RFC 6749 §5.2 error_uri: every OAuthError names its requirement', () => {
  let ctx: TestContext;
  let app: Express;
  const sites = throwSites();
  const catalogue = requirementCatalogue();

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp());
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('MUST find the throw sites of src/, multi-line calls included', () => {
    expect(sites.length).toBeGreaterThan(100);
    expect(sites.some((site) => site.call.includes('\n'))).toBe(true);
  });

  it('MUST pass a requirement to every new OAuthError in src/', () => {
    const missing = sites.filter((site) => !/\brequirement\b/.test(site.call)).map((site) => `${site.where}: ${site.call.slice(0, 120)}`);
    expect(missing).toEqual([]);
  });

  it('MUST name only requirements that exist in spec/', () => {
    const unknown = requirementLiterals().filter(({ id }) => !catalogue.has(id)).map(({ where, id }) => `${where}: ${id}`);
    expect(unknown).toEqual([]);
  });

  it('MUST serve the page of every (code, requirement) pair thrown in src/, showing the requirement text', async () => {
    const pairs = new Set(sites.filter((site) => site.code && site.requirement).map((site) => `${site.code}/${site.requirement}`));
    expect(pairs.size).toBeGreaterThan(80);
    const failures: string[] = [];
    for (const pair of pairs) {
      const page = await request(app).get(`/errors/${pair}`);
      const text = catalogue.get(pair.split('/')[1])?.requirement.text ?? '(missing)';
      if (page.status !== 200 || !page.text.includes(escapeHtml(text))) failures.push(`${pair}: ${page.status}`);
    }
    expect(failures).toEqual([]);
  });
});
