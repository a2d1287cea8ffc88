// Vitest: HTTP and unit tests run against the real app in-process; e2e tests drive real Chromium.
// Two projects: everything on SQLite (the embedded default), and the suites that go through the
// harness's app again on PostgreSQL (TEST_DATABASE=postgres: a fresh database per app).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 15_000,
    hookTimeout: 120_000,
    globalSetup: ["tests/helpers/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["tests/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "postgres", include: ["tests/http/**/*.test.ts", "tests/auth/**/*.test.ts"], env: { TEST_DATABASE: "postgres" } },
      },
    ],
  },
});
