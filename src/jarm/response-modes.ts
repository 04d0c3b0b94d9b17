/**
 * The JWT response modes of JARM for the code flow. Castellan answers only response_type=code, whose
 * default mode is the query, so `jwt` means `query.jwt`; `fragment.jwt` exists for fragment-encoded
 * response types, which OAuth 2.1 removed, and is refused like `fragment`.
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3 (query.jwt, fragment.jwt, form_post.jwt, jwt)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3.4 (jwt: the response type's default mode)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-4 (response_modes_supported, authorization_signing_alg_values_supported)
 */
import { contributeMetadata } from '../oidc-discovery/provider-metadata.js';
import { SUPPORTED_ALGS } from '../tokens/keystore.js';

/** The modes a client may ask for, as discovery lists them. */
export const JWT_RESPONSE_MODES = ['jwt', 'query.jwt', 'form_post.jwt'] as const;

/** What a request's mode resolves to: `jwt` is already replaced by `query.jwt`. */
export type JwtResponseMode = 'query.jwt' | 'form_post.jwt';

/** §4: every alg a client may register as authorization_signed_response_alg (none is never one). */
contributeMetadata(() => ({ authorization_signing_alg_values_supported: [...SUPPORTED_ALGS] }));

/** The JWT mode a response_mode value names, with `jwt` resolved for the code flow; undefined for any other value. */
export function jwtResponseMode(mode: string | undefined): JwtResponseMode | undefined {
  if (mode === 'jwt' || mode === 'query.jwt') return 'query.jwt';
  if (mode === 'form_post.jwt') return 'form_post.jwt';
  return undefined;
}

export function isJwtResponseMode(mode: string): mode is JwtResponseMode {
  return mode === 'query.jwt' || mode === 'form_post.jwt';
}

/** The plain mode that carries the JWT (§2.3.1 query, §2.3.3 form_post). */
export function carrierMode(mode: JwtResponseMode): 'query' | 'form_post' {
  return mode === 'form_post.jwt' ? 'form_post' : 'query';
}
