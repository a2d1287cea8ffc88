// How records and rows differ the same way on every engine: a passkey's public key is stored as
// bytes and its transports as JSON text, and so are an OpenID client's URI lists; a search term
// becomes a LIKE pattern.
import type { OidcClientRecord, PasskeyRecord } from "./store.ts";

/** A passkey row as both engines store it. */
type PasskeyRow = Omit<PasskeyRecord, "publicKey" | "transports"> & { publicKey: Buffer; transports: string };

export function toPasskey(row: PasskeyRow): PasskeyRecord {
  return { ...row, publicKey: new Uint8Array(row.publicKey), transports: JSON.parse(row.transports) as string[] };
}

export function toPasskeyRow(passkey: PasskeyRecord): PasskeyRow {
  return { ...passkey, publicKey: Buffer.from(passkey.publicKey), transports: JSON.stringify(passkey.transports) };
}

/** `%term%` for LIKE, with the wildcards in `term` itself escaped (paired with ESCAPE '\\'). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An OpenID client as both engines store it: the URI lists as JSON text. */
type ClientRow = Omit<OidcClientRecord, "redirectUris" | "postLogoutRedirectUris" | "resources"> & {
  redirectUris: string;
  postLogoutRedirectUris: string;
  resources: string;
};

export function toClientRow(client: OidcClientRecord): ClientRow {
  return {
    ...client,
    redirectUris: JSON.stringify(client.redirectUris),
    postLogoutRedirectUris: JSON.stringify(client.postLogoutRedirectUris),
    resources: JSON.stringify(client.resources),
  };
}

export function fromClientRow(row: ClientRow): OidcClientRecord {
  return {
    ...row,
    redirectUris: JSON.parse(row.redirectUris) as string[],
    postLogoutRedirectUris: JSON.parse(row.postLogoutRedirectUris) as string[],
    resources: JSON.parse(row.resources) as string[],
  };
}
