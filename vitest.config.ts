// Vitest: HTTP and unit tests run against the real app in-process; e2e tests drive real Chromium.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 15_000,
    hookTimeout: 120_000,
    globalSetup: ["tests/helpers/global-setup.ts"],
  },
});
