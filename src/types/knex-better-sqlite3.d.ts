/** knex's better-sqlite3 dialect, extended by the migrator to run on the statement layer's connection. */
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  import type { Knex } from 'knex';

  class Client_BetterSQLite3 extends Knex.Client {
    acquireRawConnection(): Promise<unknown>;
    destroyRawConnection(connection: unknown): Promise<void>;
  }
  export default Client_BetterSQLite3;
}
