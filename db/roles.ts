import pg from 'pg';

/*
 * The database logins of the system, each with only what it needs (migration 0003 grants them):
 *
 *   lpmm_owner      LOGIN   owns the schema; only migrations and administrators log in as it
 *   lpmm_worker     LOGIN   the market maker: its pools' quotes, fences, spreads, hedges, ticks
 *   lpmm_dashboard  LOGIN   read-only
 *   lpmm_client     group   traders and liquidity providers; each logs in as its own member role,
 *                           registered in `principals`, and acts only as that principal
 *   lpmm_trader     LOGIN   the local default client (principal "trader")
 *
 * Setting them up needs an administrator (CREATEROLE); on a real server the README's SQL does the
 * same with real secrets. The local embedded cluster and the tests use the local passwords below:
 * they listen on 127.0.0.1 only and hold throw-away data.
 */

export const ROLES = {
  owner: 'lpmm_owner',
  worker: 'lpmm_worker',
  client: 'lpmm_client',
  dashboard: 'lpmm_dashboard',
  trader: 'lpmm_trader',
} as const;

export const DEFAULT_TRADER_PRINCIPAL = 'trader';

/** Local-only password of a login role (embedded cluster and tests). */
export function localPassword(role: string): string {
  return `${role}-local`;
}

/**
 * Session limits per role, so a stuck statement, a lock queue or a forgotten transaction cannot
 * hold a pool's row lock (and every writer behind it) for long. The connection pool sets the same
 * values, so they hold on servers where the roles were made by hand.
 */
export const ROLE_TIMEOUTS: Record<string, { statement: string; lock: string; idle: string }> = {
  [ROLES.worker]: { statement: '15s', lock: '5s', idle: '60s' },
  [ROLES.client]: { statement: '15s', lock: '5s', idle: '60s' },
  [ROLES.trader]: { statement: '15s', lock: '5s', idle: '60s' },
  [ROLES.dashboard]: { statement: '10s', lock: '2s', idle: '30s' },
  [ROLES.owner]: { statement: '0', lock: '30s', idle: '10min' },
};

const ident = (s: string) => pg.escapeIdentifier(s);
const literal = (s: string) => pg.escapeLiteral(s);

async function ensureRole(c: pg.Client, role: string, opts: { login: boolean; password?: string }) {
  const exists = await c.query('select 1 from pg_roles where rolname = $1', [role]);
  const attrs = `${opts.login ? 'LOGIN' : 'NOLOGIN'} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS${
    opts.password ? ` PASSWORD ${literal(opts.password)}` : ''
  }`;
  try {
    await c.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${ident(role)} ${attrs}`);
  } catch (err) {
    // Roles are cluster-wide: two test databases set up at once may race to create the same one.
    if (!/already exists|tuple concurrently updated/.test(String((err as Error).message))) throw err;
  }
  const t = ROLE_TIMEOUTS[role];
  if (t) {
    for (const [setting, value] of [
      ['statement_timeout', t.statement],
      ['lock_timeout', t.lock],
      ['idle_in_transaction_session_timeout', t.idle],
    ] as const) {
      await c.query(`ALTER ROLE ${ident(role)} SET ${setting} = ${literal(value)}`).catch(ignoreRace);
    }
  }
}

function ignoreRace(err: unknown) {
  if (!/tuple concurrently updated|already exists/.test(String((err as Error).message))) throw err;
}

/** Creates or updates the system's roles on a cluster. `adminUrl` must allow CREATEROLE. */
export async function setupRoles(
  adminUrl: string,
  password: (role: string) => string = localPassword,
): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    // Serialised across processes: role DDL races otherwise fail with "tuple concurrently updated".
    await c.query(`select pg_advisory_lock(hashtext('lpmm.setup_roles'))`);
    await ensureRole(c, ROLES.owner, { login: true, password: password(ROLES.owner) });
    await ensureRole(c, ROLES.worker, { login: true, password: password(ROLES.worker) });
    await ensureRole(c, ROLES.dashboard, { login: true, password: password(ROLES.dashboard) });
    await ensureRole(c, ROLES.client, { login: false });
    await ensureRole(c, ROLES.trader, { login: true, password: password(ROLES.trader) });
    await c.query(`GRANT ${ident(ROLES.client)} TO ${ident(ROLES.trader)}`).catch(ignoreRace);
    await c
      .query(`ALTER ROLE ${ident(ROLES.dashboard)} SET default_transaction_read_only = on`)
      .catch(ignoreRace);
    // Migration 0001 of the first release grants to this role; it must exist, and holds nothing now.
    const legacy = await c.query(`select 1 from pg_roles where rolname = 'lpmm_app'`);
    if (!legacy.rowCount) await c.query('CREATE ROLE lpmm_app NOLOGIN').catch(ignoreRace);
  } finally {
    await c.query(`select pg_advisory_unlock(hashtext('lpmm.setup_roles'))`).catch(() => {});
    await c.end().catch(() => {});
  }
}

/** The same server and database as `url`, logged in as `role`. */
export function urlAs(url: string, role: string, password = localPassword(role), database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

/** Creates `database` owned by the migration owner, when missing. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    const exists = await c.query('select 1 from pg_database where datname = $1', [database]);
    if (!exists.rowCount) await c.query(`create database ${ident(database)} owner ${ident(ROLES.owner)}`);
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Registers a login role as a principal (idempotent for the same pair; a login or principal already
 * bound to another is refused by the table's keys). Run as the owner or an administrator.
 */
export async function registerPrincipal(url: string, loginRole: string, principal: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(
      `insert into principals (login_role, principal) values ($1, $2)
       on conflict (login_role) do nothing`,
      [loginRole, principal],
    );
    const row = await c.query<{ principal: string }>(
      'select principal from principals where login_role = $1',
      [loginRole],
    );
    if (row.rows[0]?.principal !== principal) {
      throw new Error(
        `login role "${loginRole}" is already registered as principal "${row.rows[0]?.principal}", not "${principal}"`,
      );
    }
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * A new client login in the `lpmm_client` group, registered as `principal` in the database of
 * `adminUrl`. For local clusters and tests; a real server's administrator does this with SQL.
 */
export async function createClientLogin(
  adminUrl: string,
  principal: string,
  loginRole = `lpmm_p_${principal.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(`select pg_advisory_lock(hashtext('lpmm.setup_roles'))`);
    await ensureRole(c, loginRole, { login: true, password: localPassword(loginRole) });
    await c.query(`GRANT ${ident(ROLES.client)} TO ${ident(loginRole)}`).catch(ignoreRace);
    const t = ROLE_TIMEOUTS[ROLES.client]!;
    await c.query(`ALTER ROLE ${ident(loginRole)} SET statement_timeout = ${literal(t.statement)}`);
    await c.query(`ALTER ROLE ${ident(loginRole)} SET lock_timeout = ${literal(t.lock)}`);
  } finally {
    await c.query(`select pg_advisory_unlock(hashtext('lpmm.setup_roles'))`).catch(() => {});
    await c.end().catch(() => {});
  }
  await registerPrincipal(adminUrl, loginRole, principal);
  return urlAs(adminUrl, loginRole);
}
