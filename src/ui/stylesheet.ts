/** The one stylesheet, served from /assets so pages need no inline style under the CSP. */
import type { Router } from 'express';

export const STYLESHEET = `
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
main.card { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem; border: 1px solid #b8bfcc; border-radius: 4px; font-size: 1rem; }
button { margin-top: 1.25rem; padding: .6rem 1.2rem; border: 0; border-radius: 4px; font-size: 1rem; cursor: pointer; background: #2456d3; color: #fff; }
button.secondary { background: #e3e6ec; color: #1d2330; }
.error, .error-code { color: #b3261e; font-weight: 600; }
ul.scopes { padding-left: 1.2rem; }
.muted { color: #5b6475; font-size: .9rem; }
.warning { background: #fff4e5; border-left: 4px solid #c25e00; padding: .75rem 1rem; color: #5c2d00; }
code.user-code { font-size: 1.4rem; letter-spacing: .15em; font-weight: 700; }
input.user-code { font-family: ui-monospace, monospace; font-size: 1.3rem; letter-spacing: .15em; text-transform: uppercase; }
p.qr { text-align: center; }
p.qr img { image-rendering: pixelated; border: 1px solid #e3e6ec; }
code.secret { font-size: 1.05rem; letter-spacing: .05em; word-break: break-all; }
ol.recovery-codes { font-family: ui-monospace, monospace; line-height: 1.8; }
details { margin-top: 1.5rem; }
summary { cursor: pointer; color: #2456d3; }
main.card:has(article.error-explanation) { max-width: 44rem; }
dl#libraries dt { font-weight: 600; margin-top: .75rem; }
`;

export function mountStylesheet(router: Router): void {
  router.get('/assets/castellan.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(STYLESHEET);
  });
}
