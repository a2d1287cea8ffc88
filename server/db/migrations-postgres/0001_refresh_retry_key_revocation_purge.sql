ALTER TABLE "signing_keys" ADD COLUMN "revoked_at" bigint;--> statement-breakpoint
CREATE INDEX "sessions_expires_at" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
-- A successor discarded by the old grace replacement must stay dead: it counts as used.
UPDATE "refresh_tokens" SET "used_at" = "discarded_at" WHERE "used_at" IS NULL AND "discarded_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "refresh_tokens" DROP COLUMN "discarded_at";