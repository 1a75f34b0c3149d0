import pg from 'pg';

/** What a DATABASE_URL can do, found out at start-up (PostgreSQL itself, or a pooler in front of it). */
export interface DatabaseCapabilities {
  /**
   * Accepts session settings as startup parameters (`statement_timeout`). PostgreSQL does;
   * PgBouncer refuses the connection ("unsupported startup parameter").
   */
  startupParameters: boolean;
  /**
   * Each client connection keeps one server session, so a LISTEN stays where it was made. Not so
   * behind a transaction-mode pooler, which hands each transaction to any free server connection.
   */
  sessions: boolean;
}

/**
 * Two client connections that ask their server process's pid in turn get the same pid behind a
 * transaction pooler (it reuses the connection just released), never on a session of their own.
 */
export async function probeDatabase(url: string): Promise<DatabaseCapabilities> {
  const startupParameters = await acceptsStartupParameters(url);
  const a = new pg.Client({ connectionString: url });
  const b = new pg.Client({ connectionString: url });
  try {
    await a.connect();
    await b.connect();
    const pid = async (c: pg.Client) =>
      ((await c.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    let sessions = true;
    for (let round = 0; round < 3 && sessions; round++) {
      if ((await pid(a)) === (await pid(b))) sessions = false;
    }
    return { startupParameters, sessions };
  } finally {
    await a.end().catch(() => undefined);
    await b.end().catch(() => undefined);
  }
}

async function acceptsStartupParameters(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, statement_timeout: 60_000 });
  try {
    await client.connect();
    return true;
  } catch (e) {
    if (/unsupported startup parameter/i.test((e as Error).message)) return false;
    throw e;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `show statement_timeout` as milliseconds ('0': none; '5s', '1min', '1500ms'); NaN if unreadable. */
export function timeoutMs(shown: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(shown);
  if (!m) return Number.NaN;
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

/**
 * Behind a transaction pooler the statement timeout travels with each transaction (SET LOCAL);
 * statements outside one (most reads) run under the server's default for the role. The warning
 * to log when that default is none (0) or longer than STATEMENT_TIMEOUT_MS; null when it is not.
 */
export function statementTimeoutWarning(shown: string, configuredMs: number): string | null {
  const ms = timeoutMs(shown);
  if (ms > 0 && ms <= configuredMs) return null;
  const what = ms === 0 ? 'none (0)' : Number.isNaN(ms) ? `unreadable (${shown})` : shown;
  return (
    `behind the pooler, statements outside a transaction run under the server's statement_timeout, which is ${what}, ` +
    `not bounded by STATEMENT_TIMEOUT_MS=${configuredMs}: give the role one, e.g. ` +
    `ALTER ROLE <role> SET statement_timeout = '${configuredMs}ms' (README "Deploying")`
  );
}
