// npm run attack -- [--base URL] [--wait] [--only text] [--strict]
// Attacks a running instance through its public HTTP contract with a software authenticator and
// prints attack → expected → observed → result. Exits 1 when any attack got through (or could
// not run), 0 when every one was refused as it should be. It creates accounts named attack-*.
import { parseArgs } from "node:util";
import { ATTACKS, type AttackContext, type Outcome } from "./attacks.ts";
import { HttpClient } from "../tools/http-client.ts";

const USAGE = `usage: npm run attack -- [--base URL] [--wait] [--only TEXT] [--strict]
  --base URL   the instance to attack (default http://localhost:3000)
  --wait       also run attacks that wait for an expiry longer than 30 s (challenge, access token)
  --only TEXT  run only the attacks whose name contains TEXT
  --strict     also require this platform's exact statuses and error codes (by default an attack
               passes when it is refused with the right status class and nothing is issued)`;

async function main(argv: string[]): Promise<number> {
  const options = {
    base: { type: "string" },
    wait: { type: "boolean" },
    only: { type: "string" },
    strict: { type: "boolean" },
    help: { type: "boolean" },
  } as const;
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options }).values;
    } catch (error) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      return null;
    }
  })();
  if (parsed === null) return 2;
  const args = parsed;
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const base = new URL(args.base ?? "http://localhost:3000");
  const health = await fetch(new URL("/healthz", base)).catch(() => undefined);
  if (!health?.ok) {
    console.error(`No instance answers at ${base.origin}/healthz. Start one (npm start) or pass --base URL.`);
    return 2;
  }
  const ctx: AttackContext = { base, allowLongWaits: args.wait ?? false, wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
  const attacks = ATTACKS.filter((attack) => !args.only || attack.name.includes(args.only));
  console.log(`Attacking ${base.origin} with ${attacks.length} attacks (accounts made here are named attack-*).\n`);

  const rows: { name: string; expected: string; observed: string; result: string }[] = [];
  for (const attack of attacks) {
    let outcome: Outcome;
    try {
      outcome = await attack.run(ctx);
    } catch (error) {
      outcome = { observed: `could not run: ${(error as Error).message}`, pass: false };
    }
    const row =
      "skipped" in outcome
        ? { name: attack.name, expected: attack.expected, observed: outcome.skipped, result: "skip" }
        : {
            name: attack.name,
            expected: attack.expected,
            observed: outcome.observed,
            result: (args.strict ? (outcome.passStrict ?? outcome.pass) : outcome.pass) ? "PASS" : "FAIL",
          };
    rows.push(row);
    console.log(`${row.result.padEnd(4)}  ${row.name}`);
  }

  console.log(`\n${table(rows)}`);
  const count = (result: string) => rows.filter((row) => row.result === result).length;
  const waited = HttpClient.waitedSeconds > 0 ? ` (waited ${HttpClient.waitedSeconds} s for the instance's rate limits)` : "";
  console.log(`\n${count("PASS")} passed, ${count("FAIL")} failed, ${count("skip")} skipped${waited}`);
  return count("FAIL") > 0 ? 1 : 0;
}

function table(rows: Record<string, string>[]): string {
  const columns = ["attack", "expected", "observed", "result"] as const;
  const cells = rows.map((row) => [row.name!, row.expected!, row.observed!, row.result!]);
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((cell) => cell[i]!.length)));
  const line = (values: readonly string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(columns), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}

process.exitCode = await main(process.argv.slice(2));
