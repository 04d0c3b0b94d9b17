/**
 * The requirement catalogue of spec/*.json and the error explanations of spec/explanations/, read
 * once, for the pages that error_uri points to. The server reads the same files the checklist is
 * generated from, so a page never describes a rule the catalogue does not hold.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri: a human-readable page about the error)
 */
import { readdirSync, readFileSync } from 'node:fs';

/** spec/ beside src/ (and beside dist/ in a build, which the image copies along). */
const SPEC_DIR = new URL('../../spec/', import.meta.url);

export interface Requirement {
  id: string;
  section: string;
  level: string;
  text: string;
  module: string;
  tests: string[];
}

export interface SpecDocument {
  spec: string;
  title: string;
  url: string;
}

export interface CataloguedRequirement {
  requirement: Requirement;
  document: SpecDocument;
}

/** Usual causes, fixes and library notes: per error code, optionally replaced per requirement. */
export interface Explanation {
  summary?: string;
  causes?: string[];
  fixes?: string[];
  libraries?: Record<string, string>;
}

export interface Explanations {
  codes: Record<string, Explanation>;
  requirements: Record<string, Explanation>;
}

let catalogue: Map<string, CataloguedRequirement> | undefined;
let explanations: Explanations | undefined;

export function requirementCatalogue(): Map<string, CataloguedRequirement> {
  if (catalogue) return catalogue;
  catalogue = new Map();
  for (const file of readdirSync(SPEC_DIR).filter((name) => name.endsWith('.json')).sort()) {
    const { spec, title, url, requirements } = JSON.parse(readFileSync(new URL(file, SPEC_DIR), 'utf8')) as SpecDocument & { requirements: Requirement[] };
    for (const requirement of requirements) catalogue.set(requirement.id, { requirement, document: { spec, title, url } });
  }
  return catalogue;
}

export function errorExplanations(): Explanations {
  explanations ??= JSON.parse(readFileSync(new URL('explanations/errors.json', SPEC_DIR), 'utf8')) as Explanations;
  return explanations;
}

/**
 * A link to a section: the RFC Editor's HTML anchors are section-X, the OpenID Foundation's
 * xml2rfc pages rfc.section.X; other documents are linked whole.
 */
export function sectionUrl(url: string, section: string): string {
  if (url.startsWith('https://www.rfc-editor.org/')) return `${url}#section-${section}`;
  if (url.startsWith('https://openid.net/specs/')) return `${url}#rfc.section.${section}`;
  return url;
}

const RFC_SECTION = /^RFC(\d+) §(.+)$/;
const OIDC_CORE_SECTION = /^OIDC Core §(.+)$/;

/** The section defining an error code, as ERROR_TABLE names it ('RFC6749 §5.2'), as a link. */
export function definingSectionUrl(section: string): string | undefined {
  const rfc = RFC_SECTION.exec(section);
  if (rfc) return sectionUrl(`https://www.rfc-editor.org/rfc/rfc${rfc[1]}`, rfc[2]);
  const oidc = OIDC_CORE_SECTION.exec(section);
  if (oidc) return sectionUrl('https://openid.net/specs/openid-connect-core-1_0.html', oidc[1]);
  return undefined;
}
