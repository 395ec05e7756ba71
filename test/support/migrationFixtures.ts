import { mkdtempSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Schemas a database can be in before `init`: the seed design, release 0.1, nothing. */
export const STARTING_POINTS = {
	empty: [],
	'seed-v2': [join(__dirname, '../fixtures/seed-v2.0.0.sql')],
	'package-0.1': [join(__dirname, '../fixtures/schema-0.1.sql'), join(__dirname, '../fixtures/rows-0.1.sql')],
} as const;

export type StartingPoint = keyof typeof STARTING_POINTS;

export interface PgServer {
	label: string;
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
	stop(): Promise<void>;
}

/** Loads a starting point's SQL into a fresh schema. */
export async function loadStartingPoint(server: PgServer, schema: string, point: StartingPoint): Promise<void> {
	const c = new Client({ ...server });
	await c.connect();
	try {
		await c.query(`CREATE SCHEMA "${schema}"`);
		await c.query(`SET search_path TO "${schema}"`);
		for (const file of STARTING_POINTS[point]) await c.query(readFileSync(file, 'utf8'));
	} finally {
		await c.end();
	}
}

/** An embedded PostgreSQL (real binaries from the npm package) in a temporary folder. */
export async function startEmbedded(): Promise<PgServer> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { freePort } = require('../../scripts/n8n/http');
	const root = mkdtempSync(join(tmpdir(), 'gcb-migrate-pg-'));
	chmodSync(root, 0o777); // as root, PostgreSQL runs as user postgres and creates its folder here
	const pg = await startEmbeddedPostgres({ dataDir: join(root, 'data'), port: await freePort() });
	return {
		label: 'embedded PostgreSQL',
		host: pg.host,
		port: pg.port,
		user: pg.user,
		password: pg.password,
		database: 'postgres',
		stop: async () => {
			await pg.stop();
			rmSync(root, { recursive: true, force: true });
		},
	};
}
