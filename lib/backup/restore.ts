import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { quoteIdentifier } from '../identifiers';
import { loadMigrations } from '../db/migrate';
import { withClient, type Db } from '../db/pool';
import { oneLine } from './backup';
import { clientMajor, libpqEnv, runTool, toolPath } from './pgTools';

export interface RestoreOptions {
	file: string;
	/** Replace what the schema holds (pg_restore --clean --if-exists); without it a schema with tables is refused. */
	clean?: boolean;
	binDir?: string;
}

export interface ArchiveContents {
	/** Schemas of the archive's tables. */
	schemas: string[];
	tables: string[];
	dumpedFrom: string;
}

export interface RestoreResult {
	tables: number;
	rows: Record<string, number>;
	schemaVersion: number;
	latestVersion: number;
	dumpedFrom: string;
}

/** The table of contents that `pg_restore -l` prints: which schema and tables the archive holds. */
export function parseArchiveList(text: string): ArchiveContents {
	const schemas = new Set<string>();
	const tables: string[] = [];
	for (const line of text.split('\n')) {
		// "TABLE <schema> <name> <owner>"; "TABLE DATA …" lines name the same tables again
		const m = /^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) /.exec(line);
		if (m) {
			schemas.add(m[1]);
			tables.push(m[2]);
		}
	}
	const from = /Dumped from database version:\s*(.+)$/m.exec(text);
	return { schemas: [...schemas], tables, dumpedFrom: from ? from[1].trim().split(' ')[0] : 'unknown' };
}

/**
 * What pg_restore runs (--use-list): everything, less what the target already has and must not be
 * made again — the schema itself when it exists (a new database's "public"; pg_dump -n writes a
 * CREATE SCHEMA for it) and btree_gist when installed (--clean would otherwise drop it under
 * whatever else uses it) — and the comments on them, which only their owner may set.
 */
export function restoreList(toc: string, schema: string, target: { schemaExists: boolean; gistExists: boolean }): string {
	const skip = (line: string) => {
		const entry = /^\d+; \d+ \d+ (.+)$/.exec(line)?.[1];
		if (!entry) return false;
		if (/^COMMENT - (SCHEMA|EXTENSION) /.test(entry)) return true;
		if (target.schemaExists && entry.startsWith(`SCHEMA - ${schema} `)) return true;
		if (target.gistExists && entry.startsWith('EXTENSION - btree_gist')) return true;
		return false;
	};
	return toc
		.split('\n')
		.map((line) => (skip(line) ? `;${line}` : line))
		.join('\n');
}

/** pg_restore's own words for the two ways an archive can be unreadable, turned into the fix. */
function unreadable(stderr: string, file: string, client: string): string {
	const version = /unsupported version \(([\d.]+)\) in file header/.exec(stderr);
	if (version) {
		return (
			`${file} was written by a newer pg_dump than pg_restore ${client} can read (archive format ${version[1]}): ` +
			'restore it with pg_restore of the PostgreSQL version that made it, or newer (--pg-bin DIR)'
		);
	}
	if (/does not appear to be a valid archive|could not open input file/.test(stderr)) {
		return `${file} is not a pg_dump archive in custom format (what "getcourse-bot backup" writes): ${oneLine(stderr)}`;
	}
	return `pg_restore cannot read ${file}: ${oneLine(stderr)}`;
}

/**
 * Restores a backup of the configured schema into the configured database, in one transaction
 * (--single-transaction --exit-on-error: a failure changes nothing). The archive must hold the
 * same schema name (pg_restore cannot rename one); a schema that already has tables is refused
 * unless `clean`. Owners and grants are not restored (--no-owner --no-privileges), so the
 * configured user owns what it restores, on another server too.
 */
export async function restore(db: Db, opts: RestoreOptions): Promise<RestoreResult> {
	const s = db.settings;
	if (!existsSync(opts.file)) throw new Error(`Backup file ${opts.file} not found`);
	const file = toolPath('pg_restore', opts.binDir);
	const client = await clientMajor(file);
	const list = await runTool(file, ['--list', opts.file], process.env);
	if (list.code !== 0) throw new Error(unreadable(list.stderr, opts.file, client.text));
	const archive = parseArchiveList(list.stdout);
	if (!archive.tables.length) throw new Error(`${opts.file} holds no tables`);
	if (!archive.schemas.includes(s.schema)) {
		throw new Error(
			`${opts.file} holds schema ${archive.schemas.map((x) => `"${x}"`).join(', ')}, not "${s.schema}": ` +
				`set POSTGRES_SCHEMA=${archive.schemas[0]} to restore it (pg_restore cannot rename a schema)`,
		);
	}
	const target = await withClient(db, async (c) => {
		const r = await c.query<{ tables: string; schema: boolean; gist: boolean }>(
			`SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = $1) AS tables,
			        EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
			        EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') AS gist`,
			[s.schema],
		);
		return { tables: Number(r.rows[0].tables), schemaExists: r.rows[0].schema, gistExists: r.rows[0].gist };
	});
	if (target.tables && !opts.clean) {
		throw new Error(
			`Schema "${s.schema}" of database "${s.database}" already holds ${target.tables} table(s): restore into an empty database ` +
				'(CREATE DATABASE …, then POSTGRES_DB), or add --clean to replace what it holds',
		);
	}
	const conn = libpqEnv(s, s.database, client.major);
	const listFile = join(mkdtempSync(join(tmpdir(), 'getcourse-bot-restore-')), 'toc.list');
	try {
		writeFileSync(listFile, restoreList(list.stdout, s.schema, target));
		const args = ['--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', '--no-password', `--dbname=${s.database}`, `--use-list=${listFile}`];
		if (opts.clean) args.push('--clean', '--if-exists');
		const r = await runTool(file, [...args, opts.file], conn.env, [s.password]);
		if (r.code !== 0) throw new Error(`pg_restore failed, nothing was restored (exit ${r.code}): ${oneLine(r.stderr)}`);
	} finally {
		conn.cleanup();
		rmSync(dirname(listFile), { recursive: true, force: true });
	}
	return withClient(db, async (c) => {
		const rows: Record<string, number> = {};
		const tables = (await c.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [s.schema])).rows.map((r) => r.t);
		// Table names come from the catalogue (a school may keep tables of its own there): quoted, not validated.
		const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
		for (const t of tables) {
			rows[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdentifier(s.schema)}.${quote(t)}`)).rows[0].n);
		}
		const version = tables.includes('schema_migrations')
			? Number((await c.query<{ v: string | null }>(`SELECT max(version) AS v FROM ${quoteIdentifier(s.schema)}.schema_migrations`)).rows[0].v ?? 0)
			: 0;
		const migrations = loadMigrations();
		return { tables: tables.length, rows, schemaVersion: version, latestVersion: migrations[migrations.length - 1].version, dumpedFrom: archive.dumpedFrom };
	});
}
