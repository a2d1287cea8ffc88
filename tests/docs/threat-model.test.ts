// THREAT_MODEL.md names the tests and attacks that prove each defence: every name must exist,
// so the document cannot drift from the suite.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ATTACKS } from "../../attack/attacks.ts";
import { escapeRegExp } from "../helpers/text.ts";

const ROOT = join(import.meta.dirname, "../..");
const document = readFileSync(join(ROOT, "THREAT_MODEL.md"), "utf8");

function testFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of readdirSync(join(ROOT, "tests"), { recursive: true, encoding: "utf8" })) {
    // http/ and e2e/ may both have a file of one name: a cited name may be in either.
    const name = basename(path);
    if (name.endsWith(".test.ts")) files.set(name, (files.get(name) ?? "") + readFileSync(join(ROOT, "tests", path), "utf8"));
  }
  return files;
}

describe("THREAT_MODEL.md", () => {
  it("names only tests that exist, by file and test name", () => {
    const files = testFiles();
    const cited = [...document.matchAll(/`([\w-]+\.test\.ts) › ([^`]+)`/g)];
    expect(cited.length).toBeGreaterThan(40);
    // Later names in a cell may drop the file (`› name`): they belong to the file cited before them.
    const missing: string[] = [];
    for (const line of document.split("\n")) {
      let file: string | undefined;
      for (const match of line.matchAll(/`(?:([\w-]+\.test\.ts) )?› ([^`]+)`/g)) {
        file = match[1] ?? file;
        const source = file ? files.get(file) : undefined;
        // The formatter may put a long name on the line after `it(`; `it.skipIf(…)(` counts too.
        const declared = new RegExp(`\\bit(?:\\.skipIf\\([^)]*\\))?\\(\\s*["\`]${escapeRegExp(match[2]!)}["\`]`);
        if (!source || !declared.test(source)) missing.push(`${file} › ${match[2]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("names only attacks that npm run attack has, and says how many there are", () => {
    const names = new Set(ATTACKS.map((attack) => attack.name));
    const cited = [...document.matchAll(/attacks? ((?:`[^`]+`(?:, )?)+)/g)].flatMap((match) => [...match[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    expect(cited.length).toBeGreaterThan(20);
    expect(cited.filter((name) => ![...names].some((known) => known.startsWith(name)))).toEqual([]);
    expect(document).toContain(`for ${ATTACKS.length} attacks`);
  });
});
