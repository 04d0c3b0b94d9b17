/** Builds every knex-backed store over one database handle. */
import type { Knex } from 'knex';
import type { Stores } from '../stores.js';
import { KnexAuditStore, KnexReplayStore } from './audit-replay-stores.js';
import { KnexClientStore } from './client-store.js';
import { KnexGrantStore } from './grant-store.js';
import { KnexFindingStore, KnexIpBlockStore, KnexSettingStore } from './incident-stores.js';
import { KnexLogoutDeliveryStore } from './logout-delivery-store.js';
import { KnexLoginResetStore, KnexMfaChallengeStore, KnexMfaStore, KnexRecoveryCodeStore } from './mfa-stores.js';
import { KnexConsentStore, KnexInteractionStore, KnexSessionStore } from './session-stores.js';
import { KnexSigningKeyStore } from './signing-key-store.js';
import { KnexAccessTokenStore, KnexAuthorizationCodeStore, KnexRefreshTokenStore } from './token-stores.js';
import { KnexUserDataStore } from './user-data-store.js';
import { KnexUserStore } from './user-store.js';
import { closeDatabase, migrate, openDatabase } from './database.js';
import { insertNewRows } from './new-rows.js';

export function createStores(db: Knex): Stores {
  return {
    db,
    clients: new KnexClientStore(db),
    users: new KnexUserStore(db),
    keys: new KnexSigningKeyStore(db),
    grants: new KnexGrantStore(db),
    codes: new KnexAuthorizationCodeStore(db),
    refreshTokens: new KnexRefreshTokenStore(db),
    accessTokens: new KnexAccessTokenStore(db),
    sessions: new KnexSessionStore(db),
    interactions: new KnexInteractionStore(db),
    consents: new KnexConsentStore(db),
    replay: new KnexReplayStore(db),
    audit: new KnexAuditStore(db),
    logoutDeliveries: new KnexLogoutDeliveryStore(db),
    mfa: new KnexMfaStore(db),
    recoveryCodes: new KnexRecoveryCodeStore(db),
    mfaChallenges: new KnexMfaChallengeStore(db),
    loginResets: new KnexLoginResetStore(db),
    ipBlocks: new KnexIpBlockStore(db),
    settings: new KnexSettingStore(db),
    findings: new KnexFindingStore(db),
    userData: new KnexUserDataStore(db),
    transaction: (work) => db.transaction(work),
    insertNewRows: (rows, consume) => insertNewRows(db, rows, consume),
    close: () => closeDatabase(db),
  };
}

/** Opens DATABASE_URL, applies pending migrations, and returns the stores. */
export async function openStores(databaseUrl: string): Promise<Stores> {
  const db = openDatabase(databaseUrl);
  await migrate(db);
  return createStores(db);
}
