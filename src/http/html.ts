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

export function page(title: string, body: SafeHtml, lang = 'en'): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} - Castellan</title>
<link rel="stylesheet" href="/assets/castellan.css">
</head>
<body>
<main class="card">
${body.html}
</main>
</body>
</html>
`;
}
