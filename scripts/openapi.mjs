#!/usr/bin/env node
/**
 * Writes openapi.json at the repository root: the OpenAPI 3.1 document of the built server (dist/),
 * without a server URL. `npm run openapi` builds first; test/openapi/openapi-document.test.ts fails
 * when the committed file differs from what the code generates.
 */
import { writeFileSync } from 'node:fs';

// The app module first, so every extension that registers grants or routes is loaded.
await import('../dist/server/app.js');
const { openApiDocument } = await import('../dist/openapi/openapi-document.js');
const target = new URL('../openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
