/**
 * Every value sealed with the master key, wherever it is stored, for master key rotation
 * (tokens/master-key-rotation.ts). A new sealed column must be added to SEALED_COLUMNS, or a
 * rotation leaves it sealed with a key that is gone.
 */
import type { SealedValue, SealedValueStore, Tx } from '../stores.js';
import { on } from './on.js';
import type { Database } from './statements.js';

const SEALED_COLUMNS: Record<SealedValue['kind'], { table: string; key: string; column: string }> = {
  signing_keys: { table: 'signing_keys', key: 'kid', column: 'private_encrypted' },
  clients: { table: 'clients', key: 'client_id', column: 'secret_encrypted' },
  user_mfa: { table: 'user_mfa', key: 'user_id', column: 'secret_encrypted' },
};

export const SEALED_KINDS = Object.keys(SEALED_COLUMNS) as SealedValue['kind'][];

const listSql = (kind: SealedValue['kind']) => {
  const { table, key, column } = SEALED_COLUMNS[kind];
  return `select "${key}" as "id", "${column}" as "sealed" from "${table}" where "${column}" is not null order by "${key}"`;
};

export class SqlSealedValueStore implements SealedValueStore {
  constructor(private readonly db: Database) {}

  async list(kind: SealedValue['kind'], tx?: Tx): Promise<SealedValue[]> {
    const rows = await on(this.db, tx).all(listSql(kind));
    return rows.map((row) => ({ kind, id: row.id as string, sealed: row.sealed as string }));
  }

  async first(tx?: Tx): Promise<string | undefined> {
    for (const kind of SEALED_KINDS) {
      const row = await on(this.db, tx).one(`${listSql(kind)} limit 1`);
      if (row) return row.sealed as string;
    }
    return undefined;
  }

  async replace(value: SealedValue, sealed: string, tx?: Tx): Promise<boolean> {
    const { table, key, column } = SEALED_COLUMNS[value.kind];
    // Conditional on the old value: a concurrent writer makes the caller fail rather than lose its write.
    return (await on(this.db, tx).run(`update "${table}" set "${column}" = ? where "${key}" = ? and "${column}" = ?`, [sealed, value.id, value.sealed])) === 1;
  }
}
