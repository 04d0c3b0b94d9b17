/** Registered clients in the `clients` table. */
import type { ClientRecord, ClientStore, Tx } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { on } from './on.js';
import { type Database, type Row, insertRow, updateRow } from './statements.js';

const toRecord = (row: Row): ClientRecord => ({
  clientId: row.client_id as string,
  secretHash: (row.secret_hash as string) ?? null,
  secretEncrypted: (row.secret_encrypted as string) ?? null,
  metadata: fromJson(row.metadata)!,
  registrationTokenHash: (row.registration_token_hash as string) ?? null,
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

const toRow = (client: ClientRecord): Row => ({
  client_id: client.clientId,
  secret_hash: client.secretHash,
  secret_encrypted: client.secretEncrypted,
  metadata: JSON.stringify(client.metadata),
  registration_token_hash: client.registrationTokenHash,
  created_at: client.createdAt,
  updated_at: client.updatedAt,
});

const FIND = 'select * from "clients" where "client_id" = ? limit 1';
const LIST = 'select * from "clients" order by "client_id"';
const REMOVE = 'delete from "clients" where "client_id" = ?';

export class SqlClientStore implements ClientStore {
  constructor(private readonly db: Database) {}

  async find(clientId: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND, [clientId]);
    return row ? toRecord(row) : undefined;
  }

  async list(tx?: Tx) {
    return (await on(this.db, tx).all(LIST)).map(toRecord);
  }

  async insert(client: ClientRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'clients', toRow(client));
  }

  async update(client: ClientRecord, tx?: Tx) {
    await updateRow(on(this.db, tx), 'clients', toRow(client), 'client_id');
  }

  async remove(clientId: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE, [clientId])) > 0;
  }
}
