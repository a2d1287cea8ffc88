// How the command-line tools end: main's exit code, or a failure said in one line (no stack):
// 2 for a bad configuration, 1 for anything else the tool could not do.
import { ConfigError } from "../server/config.ts";

export async function runCommand(main: (args: string[]) => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    console.error(error.message);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  }
}
