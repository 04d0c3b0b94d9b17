/**
 * The OpenAPI document describes every route the app serves, is OpenAPI 3.1 in shape with valid
 * JSON Schemas, is built from the validation schemas themselves, and matches the committed openapi.json.
 * @spec https://spec.openapis.org/oas/v3.1.0
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH, openApiDocument } from '../../src/openapi/openapi-document.js';
import { CODE_VERIFIER_PATTERN } from '../../src/rfc7636-pkce/code-verifier.js';
import { createApp } from '../../src/server/app.js';
import { supportedGrantTypes } from '../../src/server/grant-registry.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Route {
  method: string;
  path: string;
}

/** Every route of an express 5 app: app.router's layers, and the layers of routers mounted with use(). */
function routesOf(app: ReturnType<typeof createApp>): Route[] {
  const routes: Route[] = [];
  const walk = (stack: Json[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) routes.push({ method, path: prefix + layer.route.path });
      } else if (Array.isArray(layer.handle?.stack)) {
        // All routers are mounted at the root (app.use(router)); a mount path would be prepended here.
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Json[] } }).router.stack, '');
  return routes;
}

/** Express `/register/:client_id` is OpenAPI `/register/{client_id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operations(document: Json): [string, string, Json][] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => [path, method, item[method]] as [string, string, Json]));
}

describe('OpenAPI document', () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  const document: Json = openApiDocument();

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  it('MUST describe every route registered in the app, with its method', () => {
    const routes = routesOf(app);
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes
      .filter(({ method, path }) => {
        const item = document.paths[openApiPath(path)];
        // router.all() answers 405 to the undocumented methods of a documented path.
        return !item || (method !== '_all' && !item[method]);
      })
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  it('MUST NOT describe operations the app does not serve', () => {
    const served = new Set(routesOf(app).filter((r) => r.method !== '_all').map((r) => `${r.method} ${openApiPath(r.path)}`));
    const extra = operations(document).filter(([path, method]) => !served.has(`${method} ${path}`)).map(([path, method]) => `${method} ${path}`);
    expect(extra).toEqual([]);
  });

  it('MUST be OpenAPI 3.1 in shape: version, info, paths, operations with responses and unique ids', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Castellan', version: expect.any(String) });
    const ids = new Set<string>();
    for (const [path, method, operation] of operations(document)) {
      const where = `${method} ${path}`;
      expect(path.startsWith('/'), where).toBe(true);
      expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
      for (const code of Object.keys(operation.responses)) expect(code, where).toMatch(/^([1-5][0-9]{2}|default)$/);
      expect(typeof operation.operationId, where).toBe('string');
      expect(ids.has(operation.operationId), `${where} repeats ${operation.operationId}`).toBe(false);
      ids.add(operation.operationId);
      // Every {param} of the path is declared as a required path parameter.
      const declared = [...(document.paths[path].parameters ?? []), ...(operation.parameters ?? [])].filter((p: Json) => p.in === 'path');
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        expect(declared.some((p: Json) => p.name === name && p.required === true), `${where} declares ${name}`).toBe(true);
      }
      for (const scheme of (operation.security ?? []).flatMap((s: Json) => Object.keys(s))) {
        expect(document.components.securitySchemes, where).toHaveProperty(scheme);
      }
    }
  });

  it('MUST contain only valid JSON Schema 2020-12 schemas whose $refs resolve', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'openapi.json', components: document.components }, 'openapi.json');
    const schemas: [string, Json][] = [];
    for (const [path, method, operation] of operations(document)) {
      const where = `${method} ${path}`;
      for (const parameter of [...(document.paths[path].parameters ?? []), ...(operation.parameters ?? [])]) schemas.push([`${where} ${parameter.name}`, parameter.schema]);
      for (const media of Object.values(operation.requestBody?.content ?? {}) as Json[]) schemas.push([`${where} body`, media.schema]);
    }
    for (const [name, schema] of Object.entries(document.components.schemas as Json)) schemas.push([name, schema]);
    expect(schemas.length).toBeGreaterThan(20);
    for (const [where, schema] of schemas) {
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));
      expect(() => ajv.compile(rebased), where).not.toThrow();
    }
  });

  it('MUST take the token request from the grant registry and the grants\' own schemas', () => {
    const variants = document.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded'].schema.oneOf as Json[];
    expect(variants.map((v) => v.properties.grant_type.const)).toEqual(supportedGrantTypes());
    const code = variants.find((v) => v.title === 'authorization_code')!;
    expect(code.required).toEqual(expect.arrayContaining(['grant_type', 'code', 'redirect_uri']));
    expect(code.properties.code_verifier.pattern).toBe(CODE_VERIFIER_PATTERN);
    expect(code.properties).toHaveProperty('client_assertion');
  });

  it('MUST match the committed openapi.json (regenerate with npm run openapi)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(document);
  });

  it(`serves the document at ${OPENAPI_PATH} with the issuer as its server`, async () => {
    const res = await request(app).get(OPENAPI_PATH).expect(200);
    expect(res.type).toBe('application/json');
    expect(res.body.servers).toEqual([{ url: ctx.config.issuer }]);
    expect({ ...res.body, servers: undefined }).toEqual({ ...JSON.parse(JSON.stringify(document)), servers: undefined });
  });
});
