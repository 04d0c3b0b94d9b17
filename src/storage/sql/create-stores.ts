/** Builds every store over one database of the statement layer. */
import { SqlRefreshRetryStore } from './refresh-retry-store.js';
import { SqlRequestTraceStore } from './request-trace-store.js';
import { SqlPushedRequestStore } from './pushed-request-store.js';
import type { Stores, Tx } from '../stores.js';
import { SqlAuditStore, SqlReplayStore } from './audit-replay-stores.js';
import { SqlClientStore } from './client-store.js';
import { SqlDeviceAuthorizationStore } from './device-authorization-store.js';
import { SqlGrantStore } from './grant-store.js';
import { SqlFindingStore, SqlIpBlockStore, SqlSettingStore } from './incident-stores.js';
import { SqlLogoutDeliveryStore } from './logout-delivery-store.js';
import { SqlLoginResetStore, SqlMfaChallengeStore, SqlMfaStore, SqlRecoveryCodeStore } from './mfa-stores.js';
import { insertNewRows } from './new-rows.js';
import { openMigrated, type OpenOptions } from './open-database.js';
import { SqlRetentionStore } from './retention.js';
import { SqlSealedValueStore } from './sealed-value-store.js';
import { SqlConsentStore, SqlInteractionStore, SqlSessionStore } from './session-stores.js';
import { SqlSigningKeyStore } from './signing-key-store.js';
import { SqlTestControlStore } from './test-control-store.js';
import type { Database } from './statements.js';
import { SqlAccessTokenStore, SqlAuthorizationCodeStore, SqlRefreshTokenStore } from './token-stores.js';
import { SqlUserDataStore } from './user-data-store.js';
import { SqlUserStore } from './user-store.js';

export function createStores(db: Database): Stores {
  return {
    clients: new SqlClientStore(db),
    users: new SqlUserStore(db),
    keys: new SqlSigningKeyStore(db),
    grants: new SqlGrantStore(db),
    codes: new SqlAuthorizationCodeStore(db),
    refreshTokens: new SqlRefreshTokenStore(db),
    refreshRetryAnswers: new SqlRefreshRetryStore(db),
    accessTokens: new SqlAccessTokenStore(db),
    deviceAuthorizations: new SqlDeviceAuthorizationStore(db),
    sessions: new SqlSessionStore(db),
    interactions: new SqlInteractionStore(db),
    consents: new SqlConsentStore(db),
    replay: new SqlReplayStore(db),
    audit: new SqlAuditStore(db),
    logoutDeliveries: new SqlLogoutDeliveryStore(db),
    mfa: new SqlMfaStore(db),
    recoveryCodes: new SqlRecoveryCodeStore(db),
    mfaChallenges: new SqlMfaChallengeStore(db),
    loginResets: new SqlLoginResetStore(db),
    ipBlocks: new SqlIpBlockStore(db),
    settings: new SqlSettingStore(db),
    findings: new SqlFindingStore(db),
    userData: new SqlUserDataStore(db),
    retention: new SqlRetentionStore(db),
    sealedValues: new SqlSealedValueStore(db),
    testControl: new SqlTestControlStore(db),
    requestTraces: new SqlRequestTraceStore(db),
    pushedRequests: new SqlPushedRequestStore(db),
    // The layer's TransactionSql is what the opaque Tx stands for (on.ts turns it back).
    transaction: (work) => db.transaction((tx) => work(tx as Tx)),
    insertNewRows: (rows, consume, tx) => insertNewRows(db, rows, consume, tx),
    reportFaultsTo: (reporter) => db.faults.reportTo(reporter),
    close: () => db.close(),
  };
}

/** Opens DATABASE_URL (waiting up to `waitMs` for it), applies pending migrations, and returns the stores. */
export async function openStores(databaseUrl: string, options: OpenOptions & { waitMs?: number; onRetry?: (cause: string) => void } = {}): Promise<Stores> {
  return createStores(await openMigrated(databaseUrl, { waitMs: 0, ...options }));
}
