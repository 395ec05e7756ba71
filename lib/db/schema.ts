import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quoteIdentifier } from '../identifiers';
import { withClient, type Db } from './pool';

export const SCHEMA_FILE = join(__dirname, 'schema.sql');

export function readSchemaSql(): string {
	return readFileSync(SCHEMA_FILE, 'utf8');
}

/** Creates the schema if needed and applies schema.sql; serialised by an advisory lock. */
export async function applySchema(db: Db): Promise<void> {
	const sql = readSchemaSql();
	const schema = quoteIdentifier(db.settings.schema);
	await withClient(db, async (c) => {
		await c.query('SELECT pg_advisory_lock(hashtext($1))', ['getcourse-bot:schema']);
		try {
			await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
			await c.query(`SET search_path TO ${schema}`);
			await c.query(sql);
		} finally {
			await c.query(`SET search_path TO ${schema}`).catch(() => undefined);
			await c.query('SELECT pg_advisory_unlock(hashtext($1))', ['getcourse-bot:schema']).catch(() => undefined);
		}
	});
}

export interface SchemaObjects {
	tables: string[];
	views: string[];
	indexes: string[];
	triggers: string[];
}

export async function listSchemaObjects(db: Db): Promise<SchemaObjects> {
	return withClient(db, async (c) => {
		const s = db.settings.schema;
		const q = async (sql: string) => (await c.query<{ name: string }>(sql, [s])).rows.map((r) => r.name);
		return {
			tables: await q(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`),
			views: await q(`SELECT table_name AS name FROM information_schema.views WHERE table_schema = $1 ORDER BY 1`),
			indexes: await q(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`),
			triggers: await q(
				`SELECT DISTINCT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = $1 ORDER BY 1`,
			),
		};
	});
}
