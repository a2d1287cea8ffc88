// oidc-provider's storage adapter over our Store: every object it keeps (codes, tokens, grants,
// its sessions and interactions) is a row in oidc_payloads on whichever engine runs, never process
// memory, so any instance can answer any step. Clients are read from oidc_clients, where admins
// register them (server/oidc/clients.ts); dynamic registration is off, so they are never written here.
import type { Adapter, AdapterPayload } from "oidc-provider";
import type { Clock } from "../clock.ts";
import type { OidcClientRecord, OidcPayloadRecord, Store } from "../db/store.ts";

/** The client metadata oidc-provider reads for a registered client. */
export function clientMetadata(client: OidcClientRecord): AdapterPayload {
  return {
    client_id: client.clientId,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    // A confidential client's secret is stored as its SHA-256 only; the provider compares
    // through compareClientSecret (see provider.ts), so this value never leaves the server.
    ...(client.secretHash === null
      ? { token_endpoint_auth_method: "none" }
      : { token_endpoint_auth_method: "client_secret_basic", client_secret: client.secretHash }),
  };
}

function toPayload(row: OidcPayloadRecord): AdapterPayload {
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumedAt === null ? payload : { ...payload, consumed: Math.floor(row.consumedAt / 1000) };
}

export function storeAdapter(store: Store, clock: Clock): new (model: string) => Adapter {
  const now = () => clock.now().getTime();
  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.model === "Client") throw new Error("clients are registered with `npm run clients` or the admin console");
      await store.oidc.upsert(this.model, id, {
        payload: JSON.stringify(payload),
        // A grant names itself, so revoking it deletes its own row with everything issued under it.
        grantId: this.model === "Grant" ? id : (payload.grantId ?? null),
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        expiresAt: expiresIn ? now() + expiresIn * 1000 : null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === "Client") {
        const client = await store.oidc.clients.find(id);
        return client ? clientMetadata(client) : undefined;
      }
      const row = await store.oidc.find(this.model, id, now());
      return row ? toPayload(row) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const row = await store.oidc.findBy(this.model, { uid }, now());
      return row ? toPayload(row) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = await store.oidc.findBy(this.model, { userCode }, now());
      return row ? toPayload(row) : undefined;
    }

    async consume(id: string): Promise<void> {
      await store.oidc.consume(this.model, id, now());
    }

    async destroy(id: string): Promise<void> {
      await store.oidc.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidc.revokeGrant(grantId);
    }
  };
}
