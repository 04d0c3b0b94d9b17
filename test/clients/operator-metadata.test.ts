import { describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { isOperatorOnlyMetadata, OPERATOR_ONLY_METADATA, operatorMetadataOf, withoutOperatorMetadata } from '../../src/clients/operator-metadata.js';

const OPERATOR = { resources: ['https://api.example/'], served_resources: ['https://rs.example/'] };

describe('operator-only client metadata (src/clients/operator-metadata.ts)', () => {
  it('names the members a client must never set: audiences, introspection rights, exchange rights', () => {
    expect(OPERATOR_ONLY_METADATA).toEqual(['resources', 'served_resources', 'token_exchange']);
    expect(['resources', 'token_exchange'].map(isOperatorOnlyMetadata)).toEqual([true, true]);
    expect(['client_name', 'request_uris', 'profile'].map(isOperatorOnlyMetadata)).toEqual([false, false, false]);
  });

  it('strips them from a document, leaving the rest and the caller\'s object untouched', () => {
    const document = { client_name: 'A', ...OPERATOR, token_exchange: {} };
    expect(withoutOperatorMetadata(document)).toEqual({ client_name: 'A' });
    expect(document.resources).toEqual(OPERATOR.resources);
  });

  it('reads the ones a stored client holds, and nothing for a client without them', () => {
    const stored = validateClientMetadata({ grant_types: ['client_credentials'], client_name: 'RS', ...OPERATOR }, { production: false });
    expect(operatorMetadataOf(stored)).toEqual(OPERATOR);
    expect(operatorMetadataOf(validateClientMetadata({ grant_types: ['client_credentials'] }, { production: false }))).toEqual({});
  });
});
