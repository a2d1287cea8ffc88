// /api/passkeys: list, add (options + verify), rename, delete. Signed in; adding and deleting
// need a recent verification.
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { PasskeyList } from "../../shared/schemas.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { deletePasskey, finishPasskeyAddition, renamePasskey, startPasskeyAddition, toPasskeyInfo } from "../auth/passkeys.ts";
import { AppError } from "../errors.ts";
import { requireRecentVerification } from "../middleware/require-recent-verification.ts";
import { requireUser } from "../middleware/require-user.ts";
import { readBody } from "./http.ts";

export function passkeyRoutes(deps: AuthDeps) {
  const signedIn = requireUser(deps);
  const recentlyVerified = requireRecentVerification(deps);
  return (
    new Hono<AppEnv>()
      .get(ROUTES.passkeys, signedIn, async (c) => {
        const user = await deps.store.users.findById(c.get("auth").userId);
        if (!user) throw new AppError("session_revoked");
        const passkeys = await deps.store.passkeys.listForUser(user.id);
        const list: PasskeyList = { passkeys: passkeys.map(toPasskeyInfo), rpId: deps.config.rpId, userHandle: user.webauthnUserId };
        return c.json(list);
      })
      // A passkey added is a way into the account that outlives every session: only with a recent
      // verification, so a stolen access token or an unlocked screen cannot plant one.
      .post(ROUTES.passkeyOptions, signedIn, recentlyVerified, async (c) => c.json(await startPasskeyAddition(deps, c.get("auth").userId)))
      .post(ROUTES.passkeyVerify, signedIn, recentlyVerified, async (c) => {
        const response = await readBody(c, OPERATIONS.passkeyVerify.body);
        const { userId, sessionId } = c.get("auth");
        return c.json(await finishPasskeyAddition(deps, { response, userId, sessionId, context: c.get("requestContext") }), 201);
      })
      .patch(ROUTES.passkey, signedIn, async (c) => {
        const { name } = await readBody(c, OPERATIONS.renamePasskey.body);
        const { userId, sessionId } = c.get("auth");
        await renamePasskey(deps, { passkeyId: c.req.param("id"), name, userId, sessionId, context: c.get("requestContext") });
        return c.body(null, 204);
      })
      .delete(ROUTES.passkey, signedIn, recentlyVerified, async (c) => {
        const { userId, sessionId } = c.get("auth");
        await deletePasskey(deps, { passkeyId: c.req.param("id"), userId, sessionId, context: c.get("requestContext") });
        return c.body(null, 204);
      })
  );
}
