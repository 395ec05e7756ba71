import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { selectHost, type HostChoice, type PgSettings } from '../config';
import { quoteIdentifier } from '../identifiers';
import { describeConnectionError } from './connectionErrors';
import type { Queryable } from './types';

export interface Db {
	pool: Pool;
	settings: PgSettings;
	host: HostChoice;
	/** Identifies the settings (not the pool): pools of one database share it. */
	key?: string;
}

/**
 * A pool of its own for one kind of work on the same database, e.g. intake: its connections
 * carry their own timeouts, and slow work elsewhere cannot take them (lib/db/intakeDb.ts).
 */
export interface PoolProfile {
	name: string;
	max: number;
	config: Partial<PoolConfig>;
}

const pools = new Map<string, Db>();

/**
 * TLS options for pg (handed to tls.connect) with libpq's meanings of the SSL modes:
 * require encrypts only; verify-ca checks the chain against the CA (given PEM, else the system's
 * CAs) but not the host name; verify-full checks the chain and that the certificate names the
 * host connected to (tls.connect's default identity check, against the host name or IP).
 */
export function tlsOptions(s: Pick<PgSettings, 'ssl' | 'sslCa'>): false | ConnectionOptions {
	switch (s.ssl) {
		case 'disable':
			return false;
		case 'require':
			return { rejectUnauthorized: false };
		case 'verify-ca':
			return { rejectUnauthorized: true, ...(s.sslCa ? { ca: s.sslCa } : {}), checkServerIdentity: () => undefined };
		case 'verify-full':
			return { rejectUnauthorized: true, ...(s.sslCa ? { ca: s.sslCa } : {}) };
	}
}

export function poolConfig(s: PgSettings, host: HostChoice, max = 10): PoolConfig {
	return {
		host: host.host,
		port: s.port,
		user: s.user,
		password: s.password,
		database: s.database,
		ssl: tlsOptions(s),
		connectionTimeoutMillis: s.connectionTimeout * 1000,
		idleTimeoutMillis: 30_000,
		max,
		// Every connection works in the configured schema; the name is validated and quoted.
		options: `-c search_path=${quoteIdentifier(s.schema)}`,
		application_name: 'n8n-nodes-getcourse-bot',
	};
}

function keyOf(s: PgSettings): string {
	return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

/** One pool per distinct settings (and profile), reused across node executions and CLI calls. */
export function getDb(s: PgSettings, profile?: PoolProfile): Db {
	const settingsKey = keyOf(s);
	const key = profile ? `${settingsKey}\u0000${profile.name}\u0000${JSON.stringify(profile.config)}` : settingsKey;
	const existing = pools.get(key);
	if (existing) return existing;
	const host = selectHost(s);
	const pool = new Pool({ ...poolConfig(s, host, profile?.max), ...profile?.config });
	// An idle client dropped by the server (restart, pg_terminate_backend) must not crash n8n.
	pool.on('error', () => undefined);
	const db = { pool, settings: s, host, key: settingsKey };
	pools.set(key, db);
	return db;
}

export async function closeAllPools(): Promise<void> {
	const all = [...pools.values()];
	pools.clear();
	await Promise.all(all.map((d) => d.pool.end().catch(() => undefined)));
}

export class DbConnectionError extends Error {
	constructor(message: string, readonly code?: string) {
		super(message);
		this.name = 'DbConnectionError';
	}
}

const guarded = new WeakSet<PoolClient>();
const ignore = () => undefined;

/**
 * Checks a client out of `pool` with an error listener on it. pg-pool listens for errors only
 * while a client is idle: a connection dropped while checked out would otherwise be an unhandled
 * 'error' that ends the n8n process (the failure still reaches the caller through the pending
 * query). The listener goes on inside pg-pool's callback, at the hand-over itself: awaiting the
 * promise of connect() first leaves a gap in which a terminated backend's message, read in the
 * same chunk as the one that made the client ready, finds no listener.
 */
function checkOut(pool: Pool): Promise<PoolClient> {
	return new Promise((resolve, reject) =>
		pool.connect((err, client) => {
			if (err || !client) return reject(err ?? new Error('no client'));
			if (!guarded.has(client)) {
				client.on('error', ignore);
				guarded.add(client);
			}
			resolve(client);
		}),
	);
}

/** Checks out a client, turning connection failures into one readable line. */
export async function connect(db: Db): Promise<PoolClient> {
	try {
		return await checkOut(db.pool);
	} catch (err) {
		throw new DbConnectionError(describeConnectionError(err, db.settings, db.host), (err as { code?: string }).code);
	}
}

export async function withClient<T>(db: Db, fn: (c: PoolClient) => Promise<T>): Promise<T> {
	const client = await connect(db);
	let broken = false;
	try {
		return await fn(client);
	} catch (err) {
		broken = isBrokenConnection(err);
		throw err;
	} finally {
		client.release(broken ? true : undefined);
	}
}

/** BEGIN … COMMIT around `fn` on one connection; ROLLBACK when anything in it fails. */
async function inTransaction<C extends Queryable, T>(c: C, fn: (c: C) => Promise<T>): Promise<T> {
	await c.query('BEGIN');
	try {
		const out = await fn(c);
		await c.query('COMMIT');
		return out;
	} catch (err) {
		await c.query('ROLLBACK').catch(() => undefined);
		throw err;
	}
}

export async function withTransaction<T>(db: Db, fn: (c: PoolClient) => Promise<T>): Promise<T> {
	return withClient(db, (c) => inTransaction(c, fn));
}

function isBrokenConnection(err: unknown): boolean {
	const code = (err as { code?: string })?.code ?? '';
	return code === '57P01' || code === '57P02' || code === '57P03' || /Connection terminated|ECONNRESET/i.test(String((err as Error)?.message));
}

/** Runs fn on a throwaway one-connection pool (credential tests must not leave pools behind). */
export async function withTestClient<T>(s: PgSettings, fn: (c: PoolClient, host: HostChoice) => Promise<T>): Promise<T> {
	const host = selectHost(s);
	const pool = new Pool({ ...poolConfig(s, host, 1), connectionTimeoutMillis: Math.min(s.connectionTimeout, 60) * 1000 });
	pool.on('error', () => undefined);
	try {
		const client = await connect({ pool, settings: s, host });
		try {
			return await fn(client, host);
		} finally {
			client.release();
		}
	} finally {
		await pool.end().catch(() => undefined);
	}
}

/** Checks connectivity and that the schema exists; returns the server version. */
export async function testConnection(s: PgSettings): Promise<{ host: HostChoice; version: string; schemaExists: boolean }> {
	return withTestClient(s, async (client, host) => {
		const r = await client.query<{ version: string; exists: boolean }>(
			'SELECT current_setting($1) AS version, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS exists',
			['server_version', s.schema],
		);
		return { host, version: r.rows[0].version, schemaExists: r.rows[0].exists };
	});
}

/**
 * Runs `fn` on one connection of whatever the caller holds: a pool lends a client (guarded as
 * connect() does, released as broken after a dropped connection); a client runs it itself.
 */
export async function onConnection<T>(q: Queryable, fn: (c: Queryable) => Promise<T>): Promise<T> {
	// A pool (any copy of pg's Pool) has totalCount; a client does not.
	const client = 'totalCount' in q && typeof (q as Pool).connect === 'function' ? await checkOut(q as Pool) : null;
	let broken = false;
	try {
		return await fn(client ?? q);
	} catch (err) {
		broken = isBrokenConnection(err);
		throw err;
	} finally {
		client?.release(broken ? true : undefined);
	}
}

/** A short transaction on whatever the caller holds (see onConnection). */
export async function transactionOn<T>(q: Queryable, fn: (c: Queryable) => Promise<T>): Promise<T> {
	return onConnection(q, (c) => inTransaction(c, fn));
}
