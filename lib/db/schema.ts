import { withClient, type Db } from './pool';
import { migrate, type MigrateOptions, type MigrateResult } from './migrate';

/** Brings the configured schema to the latest migration (see migrate.ts); serialised by an advisory lock. */
export async function applySchema(db: Db, opts: Omit<MigrateOptions, 'dryRun'> = {}): Promise<MigrateResult> {
	return migrate(db, opts);
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
