import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrator';
import {
  DEFAULT_TRADER_PRINCIPAL,
  ROLES,
  createClientLogin,
  ensureDatabase,
  registerPrincipal,
  setupRoles,
  urlAs,
} from '../db/roles';

export interface ProvisionedDatabase {
  /** The administrator's URL of the database: for setting up, never for running a component. */
  adminUrl: string;
  /** Each component's own login (db/roles.ts). */
  urls: { owner: string; worker: string; trader: string; dashboard: string };
  /** A client login registered as `principal` in this database. */
  clientUrl(principal: string): Promise<string>;
}

/**
 * Sets a local server up the way production is: the roles, the database owned by the migration
 * owner, the schema migrated by that owner, the default trader registered. `adminUrl` must be an
 * administrator's (the embedded cluster's superuser, or a local DATABASE_URL); `database`, when
 * given, is created if missing and used instead of the URL's own.
 */
export async function provisionDatabase(
  adminUrl: string,
  opts: { database?: string } = {},
): Promise<ProvisionedDatabase> {
  await setupRoles(adminUrl);
  let url = adminUrl;
  if (opts.database) {
    await ensureDatabase(adminUrl, opts.database);
    const u = new URL(adminUrl);
    u.pathname = `/${opts.database}`;
    url = u.toString();
  }
  const urls = {
    owner: urlAs(url, ROLES.owner),
    worker: urlAs(url, ROLES.worker),
    trader: urlAs(url, ROLES.trader),
    dashboard: urlAs(url, ROLES.dashboard),
  };
  const owner = createDb(urls.owner, {
    maxConnections: 1,
    statementTimeoutMs: 0,
    applicationName: 'lpmm-migrate',
  });
  try {
    await migrateToLatest(owner);
  } finally {
    await owner.destroy();
  }
  await registerPrincipal(url, ROLES.trader, DEFAULT_TRADER_PRINCIPAL);
  return { adminUrl: url, urls, clientUrl: (principal) => createClientLogin(url, principal) };
}
