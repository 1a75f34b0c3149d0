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
