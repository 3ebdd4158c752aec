import { sql } from 'kysely';
import type { Db } from './connection';
import { ROLES } from './roles';

export class LoginRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginRefusedError';
  }
}

/**
 * Connects once and checks the login is the worker's: reachable, not a superuser (which would run
 * the market maker with the power to rewrite history), a member of lpmm_worker, on a migrated schema.
 */
export async function checkWorkerLogin(db: Db, variable = 'DATABASE_URL'): Promise<string> {
  let row: { login: string; su: boolean; worker: boolean; migrated: boolean } | undefined;
  try {
    ({
      rows: [row],
    } = await sql<{ login: string; su: boolean; worker: boolean; migrated: boolean }>`
      select session_user as login,
             (select rolsuper from pg_roles where rolname = session_user) as su,
             coalesce(pg_has_role(session_user, ${ROLES.worker}, 'member'), false) as worker,
             to_regclass('public.principals') is not null as migrated`.execute(db));
  } catch (err) {
    throw new LoginRefusedError(
      `${variable} does not reach a usable Postgres (${(err as Error).message}); ` +
        `fix ${variable} (postgres://lpmm_worker:...@host:port/db) or start that server.`,
    );
  }
  if (!row) throw new LoginRefusedError(`${variable}: the database returned nothing for the login check`);
  if (row.su) {
    throw new LoginRefusedError(
      `${variable} logs in as "${row.login}", a superuser: the worker refuses to run with the power to rewrite ` +
        `history. Log in as ${ROLES.worker} (README "Database roles").`,
    );
  }
  if (!row.worker) {
    throw new LoginRefusedError(
      `${variable} logs in as "${row.login}", which is not ${ROLES.worker} nor a member of it; ` +
        `grant ${ROLES.worker} to it or use the ${ROLES.worker} login (README "Database roles").`,
    );
  }
  if (!row.migrated) {
    throw new LoginRefusedError(
      `${variable} points at a database without the current schema; run the migrations as lpmm_owner first (npm run db:migrate).`,
    );
  }
  return row.login;
}
