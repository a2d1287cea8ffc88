// Builds the web app once before the suite, so browser tests serve what `npm start` serves.
import { ensureWebBuild } from "../../scripts/web-build.ts";

export default async function setup() {
  await ensureWebBuild();
}
