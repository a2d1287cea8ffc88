// Before the suite: builds the web app and the bundled server once, so tests that start the
// server run exactly what `npm start` runs, and finds the Chromium the browser tests drive.
import type { TestProject } from "vitest/node";
import { ensureBuild } from "../../scripts/build.ts";
import { resolveChromium } from "./chromium-binary.ts";

declare module "vitest" {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject) {
  const [chromium] = await Promise.all([resolveChromium(), ensureBuild()]);
  console.log(`Browser tests drive ${chromium.path} (${chromium.source}).`);
  project.provide("chromiumPath", chromium.path);
}
