// Recovery: POST /auth/recover (code → grant), /auth/recover/options and /verify (grant → new
// passkey and a session); GET/POST /api/recovery-codes (how many are left; a fresh set).
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import { finishRecovery, redeemRecoveryCode, startRecoveryRegistration } from "../auth/recovery.ts";
import { issueRecoveryCodes } from "../auth/recovery-codes.ts";
import { requireRecentVerification } from "../middleware/require-recent-verification.ts";
import { requireUser } from "../middleware/require-user.ts";
import { limitRecovery } from "../middleware/rate-limit.ts";
import { readBody, respondWithSession, type RouteDeps } from "./http.ts";

export function recoveryRoutes(deps: RouteDeps) {
  const signedIn = requireUser(deps);
  return new Hono<AppEnv>()
    .post(ROUTES.recover, async (c) => {
      const { username, code } = await readBody(c, OPERATIONS.recover.body);
      await limitRecovery(deps.rateLimits, username);
      return c.json(await redeemRecoveryCode(deps, { username, code, context: c.get("requestContext") }));
    })
    .post(ROUTES.recoverOptions, async (c) => {
      const { recoveryToken } = await readBody(c, OPERATIONS.recoverOptions.body);
      return c.json(await startRecoveryRegistration(deps, recoveryToken));
    })
    .post(ROUTES.recoverVerify, async (c) => {
      const { recoveryToken, credential } = await readBody(c, OPERATIONS.recoverVerify.body);
      const session = await finishRecovery(deps, { recoveryToken, response: credential, context: c.get("requestContext") });
      return respondWithSession(c, deps, session);
    })
    .get(ROUTES.recoveryCodes, signedIn, async (c) => c.json({ remaining: await deps.store.recovery.countUnusedCodes(c.get("auth").userId) }))
    .post(ROUTES.recoveryCodes, signedIn, requireRecentVerification(deps), async (c) => {
      const recoveryCodes = await issueRecoveryCodes(deps, { userId: c.get("auth").userId, context: c.get("requestContext") });
      return c.json({ recoveryCodes });
    });
}
