// Registering apps with the OpenID Provider: what `npm run clients` and the admin console do.
// A confidential client's secret (256 random bits) is shown once and stored as its SHA-256.
import { randomUUID } from "node:crypto";
import type { OidcClient, OidcClientInput, RegisteredClient } from "../../shared/schemas.ts";
import { recordAuditEvent } from "../auth/audit.ts";
import type { AuthDeps, RequestContext } from "../auth/deps.ts";
import { hashSecretToken, randomToken } from "../auth/secrets.ts";
import type { OidcClientRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";

const CLIENT_SECRET_BYTES = 32;

type Deps = Pick<AuthDeps, "config" | "store" | "clock">;
type Input = Required<Omit<OidcClientInput, "confidential" | "firstParty">> & { confidential: boolean; firstParty: boolean };

export function toOidcClient(client: OidcClientRecord): OidcClient {
  return {
    clientId: client.clientId,
    name: client.name,
    type: client.secretHash === null ? "public" : "confidential",
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    resources: client.resources,
    firstParty: client.firstParty,
    createdAt: new Date(client.createdAt).toISOString(),
  };
}

/** https, or http on a loopback host (RFC 8252 §7.3 for native apps, and local development); no fragment (RFC 6749 §3.1.2). */
function checkRedirectUri(uri: string): void {
  const url = new URL(uri);
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.hash !== "" || uri.includes("#")) throw new AppError("invalid_request", { message: `${uri}: a redirect URI has no fragment.` });
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new AppError("invalid_request", { message: `${uri}: a redirect URI must use https (http only on localhost).` });
  }
}

export async function registerClient(deps: Deps, input: Input, actor: { userId: string | null; context: RequestContext }): Promise<RegisteredClient> {
  for (const uri of [...input.redirectUris, ...input.postLogoutRedirectUris]) checkRedirectUri(uri);
  const unknown = input.resources.filter((resource) => !deps.config.resources.includes(resource));
  if (unknown.length > 0) {
    throw new AppError("invalid_target", {
      message: `Not in RESOURCES: ${unknown.join(", ")}. List the service there first (a command-line tool reads the server's environment, so give it the same RESOURCES).`,
    });
  }
  const clientSecret = input.confidential ? randomToken(CLIENT_SECRET_BYTES) : null;
  const record: OidcClientRecord = {
    clientId: randomUUID(),
    name: input.name,
    secretHash: clientSecret === null ? null : hashSecretToken(clientSecret),
    redirectUris: [...new Set(input.redirectUris)],
    postLogoutRedirectUris: [...new Set(input.postLogoutRedirectUris)],
    resources: [...new Set(input.resources)],
    firstParty: input.firstParty,
    createdAt: deps.clock.now().getTime(),
  };
  if (!(await deps.store.oidc.clients.insert(record))) throw new Error("client id collision");
  await recordAuditEvent(deps, actor.context, {
    type: "app_registered",
    userId: actor.userId,
    detail: { clientId: record.clientId, name: record.name, type: clientSecret === null ? "public" : "confidential" },
  });
  return { client: toOidcClient(record), clientSecret };
}

export async function removeClient(deps: Deps, clientId: string, actor: { userId: string | null; context: RequestContext }): Promise<void> {
  const client = await deps.store.oidc.clients.find(clientId);
  if (!client || !(await deps.store.oidc.clients.delete(clientId))) throw new AppError("not_found", { message: "No such client." });
  await recordAuditEvent(deps, actor.context, { type: "app_removed", userId: actor.userId, detail: { clientId, name: client.name } });
}
