/**
 * The request inspector's recordings on the statement layer: appended in batches by the recorder,
 * each client's rows bounded to the newest N in the same transaction, read newest first.
 */
import type { ClientActivity, RequestTrace, RequestTraceStore } from '../request-trace-records.js';
import { toNumber } from './json.js';
import { insertRow, type Database, type Row, type Sql } from './statements.js';

const traceRow = (trace: RequestTrace): Row => ({
  client_id: trace.clientId,
  at: trace.at,
  endpoint: trace.endpoint,
  method: trace.method,
  status: trace.status,
  error_code: trace.error?.code ?? null,
  details: JSON.stringify({
    durationMs: trace.durationMs, params: trace.params, masked: trace.masked, error: trace.error, issued: trace.issued,
    redirect: trace.redirect, redirectParams: trace.redirectParams,
  }),
});

/** A stored row as a trace (also read by the user data export, user-data-store.ts). */
export const traceFromRow = (row: Row): RequestTrace => {
  const details = JSON.parse(row.details as string) as Omit<RequestTrace, 'id' | 'clientId' | 'at' | 'endpoint' | 'method' | 'status'>;
  return {
    id: toNumber(row.id), clientId: row.client_id as string, at: toNumber(row.at), endpoint: row.endpoint as string,
    method: row.method as string, status: toNumber(row.status), ...details, issued: details.issued ?? [], masked: details.masked ?? {},
  };
};

/** Everything older than the client's `max` newest rows: the (max+1)th newest id and below. */
const PRUNE_SQL = 'delete from "request_traces" where "client_id" = ? and "id" <= '
  + '(select "id" from "request_traces" where "client_id" = ? order by "id" desc limit 1 offset ?)';

export class SqlRequestTraceStore implements RequestTraceStore {
  constructor(private readonly db: Database) {}

  async append(traces: RequestTrace[], maxPerClient: number): Promise<void> {
    if (traces.length === 0) return;
    const write = async (sql: Sql) => {
      for (const trace of traces) await insertRow(sql, 'request_traces', traceRow(trace));
      for (const clientId of new Set(traces.map((trace) => trace.clientId))) await sql.run(PRUNE_SQL, [clientId, clientId, maxPerClient]);
    };
    await this.db.transaction(write);
  }

  async listByClient(clientId: string, options: { limit: number; afterId?: number }): Promise<RequestTrace[]> {
    const rows = options.afterId === undefined
      ? await this.db.all('select * from "request_traces" where "client_id" = ? order by "id" desc limit ?', [clientId, options.limit])
      : await this.db.all('select * from "request_traces" where "client_id" = ? and "id" > ? order by "id" asc limit ?', [clientId, options.afterId, options.limit]);
    return rows.map(traceFromRow);
  }

  async clients(limit: number): Promise<ClientActivity[]> {
    const rows = await this.db.all(
      'select "client_id", count(*) as "requests", sum(case when "status" >= 400 then 1 else 0 end) as "errors", max("at") as "last_at" '
      + 'from "request_traces" group by "client_id" order by max("id") desc limit ?',
      [limit],
    );
    return rows.map((row) => ({ clientId: row.client_id as string, requests: toNumber(row.requests), errors: toNumber(row.errors ?? 0), lastAt: toNumber(row.last_at) }));
  }
}
