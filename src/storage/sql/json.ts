/** JSON columns are text on both backends; these helpers keep null handling in one place. */
export const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
export const fromJson = <T>(text: unknown): T | null => (typeof text === 'string' ? (JSON.parse(text) as T) : null);
/** PostgreSQL returns bigint columns as strings; SQLite as numbers. */
export const toNumber = (value: unknown): number => Number(value);
export const toNumberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
