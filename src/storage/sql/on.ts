/** Where a store's statement runs: inside the caller's transaction, or on the database itself. */
import type { Tx } from '../stores.js';
import type { Database, Sql } from './statements.js';

/** `tx` is always a TransactionSql made by Database.transaction (create-stores.ts hands it out as the opaque Tx). */
export const on = (db: Database, tx: Tx | undefined): Sql => (tx === undefined ? db : (tx as unknown as Sql));
