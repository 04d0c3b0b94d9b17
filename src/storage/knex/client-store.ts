/** Registered clients in the `clients` table. */
import type { Knex } from 'knex';
import type { ClientRecord, ClientStore, Tx } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { findOne } from './point-read.js';

type Row = Record<string, unknown>;

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

export class KnexClientStore implements ClientStore {
  constructor(private readonly db: Knex) {}

  async find(clientId: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'clients', { client_id: clientId });
    return row ? toRecord(row) : undefined;
  }

  async list(tx: Tx = this.db) {
    return (await tx('clients').orderBy('client_id')).map(toRecord);
  }

  async insert(client: ClientRecord, tx: Tx = this.db) {
    await tx('clients').insert(toRow(client));
  }

  async update(client: ClientRecord, tx: Tx = this.db) {
    await tx('clients').where({ client_id: client.clientId }).update(toRow(client));
  }

  async remove(clientId: string, tx: Tx = this.db) {
    return (await tx('clients').where({ client_id: clientId }).delete()) > 0;
  }
}
