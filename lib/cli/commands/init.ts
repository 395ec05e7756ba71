import { testConnection } from '../../db/pool';
import { applySchema, listSchemaObjects } from '../../db/schema';
import type { Command } from '../context';

export const init: Command = {
	usage: 'init                 check the connection, apply schema.sql, list the objects found',
	async run({ settings, db }) {
		const info = await testConnection(settings);
		console.log(`Connected to PostgreSQL ${info.version} at ${info.host.host}:${settings.port}, database "${settings.database}" (${info.host.reason})`);
		await applySchema(db);
		const o = await listSchemaObjects(db);
		console.log(`Schema "${settings.schema}" is ready:`);
		console.log(`  tables (${o.tables.length}): ${o.tables.join(', ')}`);
		console.log(`  views (${o.views.length}): ${o.views.join(', ')}`);
		console.log(`  indexes (${o.indexes.length}): ${o.indexes.join(', ')}`);
		console.log(`  triggers (${o.triggers.length}): ${o.triggers.join(', ')}`);
		return 0;
	},
};
