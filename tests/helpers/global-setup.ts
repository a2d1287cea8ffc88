// Builds the web app and the bundled server once before the suite, so tests that start the
// server run exactly what `npm start` runs.
import { ensureBuild } from "../../scripts/build.ts";

export default async function setup() {
  await ensureBuild();
}
