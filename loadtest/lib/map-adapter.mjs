/**
 * An unbounded in-memory adapter for oidc-provider. Its bundled MemoryAdapter keeps at most 1,000
 * entries in an LRU, which under load evicts live sessions, grants and codes; this one keeps every
 * entry in a Map until it expires, with the same grant index so revokeByGrantId works. Expired
 * entries are dropped when read (a bounded benchmark never needs a sweeper).
 */
const storage = new Map();
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

function read(key) {
  const entry = storage.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    storage.delete(key);
    return undefined;
  }
  return entry.value;
}

function write(key, value, expiresIn) {
  storage.set(key, { value, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined });
}

export class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === 'Session') write(`sessionUid:${payload.uid}`, id, expiresIn);
    if (grantable.has(this.model) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = read(grantKey) ?? new Set();
      members.add(key);
      write(grantKey, members, expiresIn);
    }
    if (payload.userCode) write(`userCode:${payload.userCode}`, id, expiresIn);
    write(key, payload, expiresIn);
  }

  async find(id) {
    return read(this.key(id));
  }

  async findByUid(uid) {
    const id = read(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = read(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = read(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of read(grantKey) ?? []) storage.delete(key);
    storage.delete(grantKey);
  }
}

export const adapterSize = () => storage.size;
