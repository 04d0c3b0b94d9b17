/**
 * The shell of the inspector pages: the shared stylesheet plus the inspector's own (wide tables,
 * code blocks), a navigation line, no script. Served under the same CSP as every page.
 */
import type { Router } from 'express';
import { html, page, type SafeHtml } from '../http/html.js';

export const INSPECTOR_BASE = '/admin/inspector';
export const INSPECTOR_STYLESHEET_PATH = '/assets/inspector.css';

const INSPECTOR_STYLESHEET = `
main.inspector { max-width: 72rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
nav.inspector-nav { margin-bottom: 1rem; font-size: .9rem; }
nav.inspector-nav a { margin-right: 1rem; }
table.traces { border-collapse: collapse; width: 100%; font-size: .9rem; }
table.traces th, table.traces td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e6ec; vertical-align: top; }
section.trace { border: 1px solid #e3e6ec; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
section.trace h2 { font-size: 1rem; margin: 0 0 .5rem; }
.status { display: inline-block; padding: .05rem .45rem; border-radius: 4px; font-weight: 600; }
.status.ok { background: #e6f4ea; color: #1e6b34; }
.status.redirect { background: #e8eefc; color: #2456d3; }
.status.failed { background: #fde8e6; color: #b3261e; }
dl.params { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .2rem 1rem; margin: .5rem 0; font-size: .9rem; }
dl.params dt { font-family: ui-monospace, monospace; color: #5b6475; }
dl.params dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
.masked { color: #8a5a00; }
pre.claims { background: #f4f5f7; padding: .6rem; border-radius: 4px; overflow-x: auto; font-size: .8rem; }
textarea.token { width: 100%; box-sizing: border-box; min-height: 8rem; font-family: ui-monospace, monospace; font-size: .85rem; }
p.verdict { font-size: 1.1rem; font-weight: 700; }
p.verdict.active { color: #1e6b34; }
p.verdict.inactive { color: #b3261e; }
ul.flags li { margin: .75rem 0; }
.flag-ok { color: #1e6b34; }
.flag-warn { color: #8a5a00; font-weight: 600; }
`;

export function mountInspectorStylesheet(router: Router): void {
  router.get(INSPECTOR_STYLESHEET_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(INSPECTOR_STYLESHEET);
  });
}

export const clientPath = (clientId: string) => `${INSPECTOR_BASE}/clients/${encodeURIComponent(clientId)}`;

export function inspectorPage(title: string, body: SafeHtml, clientId?: string): string {
  const clientLinks = clientId === undefined ? '' : html` <a href="${clientPath(clientId)}">Requests of ${clientId}</a> <a href="${clientPath(clientId)}/report">Report card</a>`;
  const nav = html`<nav class="inspector-nav"><a href="${INSPECTOR_BASE}">Clients</a> <a href="${INSPECTOR_BASE}/token">Token debugger</a>${clientLinks}</nav>
${body}`;
  return page(title, nav, { site: 'Castellan inspector', mainClass: 'inspector', noindex: true, stylesheets: [INSPECTOR_STYLESHEET_PATH] });
}

