// Batches per event-loop turn: the calls made during one turn are handed, together, to `runBatch`
// at its end (setImmediate), which answers all of them with one statement (on PostgreSQL, one round
// trip). A batch that lost a lock conflict as a whole (`retryAlone`: a deadlock with another
// instance's batch taking the same rows in another order) runs each call again as a batch of its
// own; any other failure is every call's. Both stores read the bearer check's sessions through it,
// and PostgreSQL also its refresh-token lookups, rotations and rate-limit counts. (SQLite's writes
// have their own group commit, sqlite/group-commit.ts: one transaction, a savepoint per step.)
export function perTurn<I, O>(options: { runBatch: (items: I[]) => Promise<O[]>; retryAlone: (error: unknown) => boolean }): (item: I) => Promise<O> {
  let pending: { item: I; resolve(value: O): void; reject(error: unknown): void }[] = [];
  const runOne = async (item: I) => (await options.runBatch([item]))[0]!;
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const outcomes = await options.runBatch(batch.map((entry) => entry.item));
      for (const [i, entry] of batch.entries()) entry.resolve(outcomes[i]!);
    } catch (error) {
      for (const entry of batch) {
        if (batch.length > 1 && options.retryAlone(error)) runOne(entry.item).then(entry.resolve, entry.reject);
        else entry.reject(error);
      }
    }
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}

/**
 * The answers to `count` reads made by one statement, from its rows, each of which carries the
 * position `n` of the read it answers (counted from `first`, as the statement numbers them): null
 * for a read that no row answered.
 */
export function answersByPosition<R extends { n: number }>(rows: readonly R[], count: number, first: number): (Omit<R, "n"> | null)[] {
  const byPosition = new Map(rows.map(({ n, ...answer }) => [n, answer]));
  return Array.from({ length: count }, (_, i) => byPosition.get(first + i) ?? null);
}
