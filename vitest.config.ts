// Vitest: HTTP and unit tests run against the real app in-process; e2e tests drive real Chromium.
// Two projects: everything on SQLite (the embedded default), and the suites that go through the
// harness's app again on PostgreSQL (TEST_DATABASE=postgres: a fresh database per app).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A budget, not an assertion: browser and multi-process tests share 2 cores with everything
    // else the run does (both projects at once), and nothing here waits on the wall clock.
    testTimeout: 60_000,
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
