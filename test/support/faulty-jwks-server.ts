/**
 * A loopback key endpoint with the faults a client's jwks_uri can have: `/jwks` serves the key set
 * it is given, `/down` answers 500, `/garbled` answers 200 with a body that is not JSON, `/hang`
 * accepts the request and never answers; `refusedUrl` names a port nothing listens on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultyJwksServer {
  /** `http://127.0.0.1:<port>`; append /jwks, /down, /garbled or /hang. */
  base: string;
  /** A loopback URL whose connection is refused. */
  refusedUrl: string;
  close(): Promise<void>;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

export async function startFaultyJwksServer(jwks: { keys: unknown[] }): Promise<FaultyJwksServer> {
  const server = createServer((req, res) => {
    if (req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    else if (req.url === '/down') res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    else if (req.url === '/garbled') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    else if (req.url !== '/hang') res.writeHead(404).end();
  });
  const base = await listen(server);
  const closed = createServer();
  const refusedUrl = `${await listen(closed)}/jwks`;
  await new Promise((resolve) => closed.close(resolve));
  return {
    base,
    refusedUrl,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
