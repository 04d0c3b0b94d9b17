/**
 * HTML escaping and the page shell shared by every server-rendered page. Pages carry no inline
 * script or style so the CSP can forbid both.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Tagged template that escapes every interpolation unless it is marked safe with `raw()`. */
export interface SafeHtml {
  readonly html: string;
}
export const raw = (html: string): SafeHtml => ({ html });

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, index) => {
    out += renderValue(value) + strings[index + 1];
  });
  return { html: out };
}

function renderValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value && typeof value === 'object' && 'html' in value) return (value as SafeHtml).html;
  return escapeHtml(value);
}

/** What a page layout may add to the shared one: the inspector's pages are not for search engines and carry their own stylesheet. */
export interface PageLayout {
  lang?: string;
  /** After "Title - ": the site name. */
  site?: string;
  /** Class of the <main> element. */
  mainClass?: string;
  noindex?: boolean;
  stylesheets?: string[];
}

export function page(title: string, body: SafeHtml, lang: string | PageLayout = 'en'): string {
  const layout: PageLayout = typeof lang === 'string' ? { lang } : lang;
  const robots = layout.noindex ? '\n<meta name="robots" content="noindex">' : '';
  const stylesheets = ['/assets/castellan.css', ...(layout.stylesheets ?? [])].map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n');
  return `<!doctype html>
<html lang="${escapeHtml(layout.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">${robots}
<title>${escapeHtml(title)} - ${escapeHtml(layout.site ?? 'Castellan')}</title>
${stylesheets}
</head>
<body>
<main class="${escapeHtml(layout.mainClass ?? 'card')}">
${body.html}
</main>
</body>
</html>
`;
}
