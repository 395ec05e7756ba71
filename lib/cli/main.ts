#!/usr/bin/env node
import { loadDotEnv, settingsFromEnv } from '../config';
import { cleanupLogs } from '../db/logs';
import { closeAllPools, getDb, testConnection, withClient } from '../db/pool';
import { applySchema, listSchemaObjects } from '../db/schema';
import { collectStats } from '../db/stats';
import { redact } from '../db/connectionErrors';

const USAGE = `Usage: getcourse-bot <command> [options]

Commands:
  init                 check the connection, apply schema.sql, list the objects found
  stats [--json]       pending webhooks, notifications by status, table sizes
  cleanup [--app-days N] [--error-days N]
                       delete application_logs older than N days (30) and error_logs older than N days (90)

Settings come from POSTGRES_HOST_EXTERNAL, POSTGRES_HOST_INTERNAL, SERVER_ENV (dev|prod),
POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_SCHEMA, POSTGRES_SSL;
a .env file in the current folder is read first.`;

function flag(args: string[], name: string, fallback: number): number {
	const i = args.indexOf(name);
	if (i < 0) return fallback;
	const v = Number(args[i + 1]);
	if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a whole number of days, got ${JSON.stringify(args[i + 1])}`);
	return v;
}

async function run(argv: string[]): Promise<number> {
	const [command, ...args] = argv;
	if (!command || command === 'help' || command === '--help' || command === '-h') {
		console.log(USAGE);
		return command ? 0 : 1;
	}
	loadDotEnv();
	const settings = settingsFromEnv();
	const db = getDb(settings);
	switch (command) {
		case 'init': {
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
		}
		case 'stats': {
			const s = await withClient(db, (c) => collectStats(c, settings.schema));
			if (args.includes('--json')) {
				console.log(JSON.stringify(s, null, 2));
				return 0;
			}
			console.log(`Pending webhooks: ${s.pendingWebhooks} (with errors: ${s.failedWebhooks})`);
			console.log(`Notifications: ${Object.entries(s.notifications).map(([k, v]) => `${k} ${v}`).join(', ')}`);
			console.log('Tables:');
			for (const t of s.tables) console.log(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows  ${t.size}`);
			return 0;
		}
		case 'cleanup': {
			const appDays = flag(args, '--app-days', 30);
			const errorDays = flag(args, '--error-days', 90);
			const r = await withClient(db, (c) => cleanupLogs(c, appDays, errorDays));
			console.log(`Deleted ${r.applicationLogs} application_logs rows older than ${appDays} days and ${r.errorLogs} error_logs rows older than ${errorDays} days`);
			return 0;
		}
		default:
			console.error(`Unknown command "${command}".\n\n${USAGE}`);
			return 2;
	}
}

run(process.argv.slice(2))
	.then(async (code) => {
		await closeAllPools();
		process.exitCode = code;
	})
	.catch(async (err) => {
		await closeAllPools();
		console.error(`getcourse-bot: ${redact(String((err as Error)?.message ?? err), [process.env.POSTGRES_PASSWORD])}`);
		process.exitCode = 1;
	});
