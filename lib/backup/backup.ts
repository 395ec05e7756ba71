import { renameSync, rmSync, statSync } from 'node:fs';
import { quoteIdentifier } from '../identifiers';
import { withClient, type Db } from '../db/pool';
import { clientMajor, libpqEnv, runTool, toolPath } from './pgTools';

export interface BackupOptions {
	file: string;
	/** Folder holding pg_dump (else GETCOURSE_BOT_PG_BIN, else PATH). */
	binDir?: string;
}

export interface BackupResult {
	file: string;
	bytes: number;
	tables: number;
	serverVersion: string;
	clientVersion: string;
}

interface ServerFacts {
	num: number;
	version: string;
	tables: number;
	btreeGist: boolean;
}

async function serverFacts(db: Db): Promise<ServerFacts> {
	return withClient(db, async (c) => {
		const r = await c.query<{ num: string; version: string; tables: string; gist: boolean }>(
			`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
			        (SELECT count(*) FROM pg_tables WHERE schemaname = $1) AS tables,
			        EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') AS gist`,
			[db.settings.schema],
		);
		const row = r.rows[0];
		return { num: Number(row.num), version: row.version.split(' ')[0], tables: Number(row.tables), btreeGist: row.gist };
	});
}

/** pg_dump refuses a server newer than itself; say so before it does, with the fix. */
export function versionMismatch(tool: 'pg_dump', client: { major: number; text: string }, serverNum: number, serverVersion: string): string | undefined {
	const serverMajor = Math.floor(serverNum / 10000);
	if (client.major >= serverMajor) return undefined;
	return (
		`${tool} ${client.text} cannot back up PostgreSQL ${serverVersion} (${tool} must be of the server's major version or newer): ` +
		`install the PostgreSQL ${serverMajor} client programs (Debian/Ubuntu: apt-get install postgresql-client-${serverMajor}) ` +
		`and give their folder with --pg-bin DIR (e.g. --pg-bin /usr/lib/postgresql/${serverMajor}/bin)`
	);
}

/**
 * A custom-format pg_dump of the configured schema — every table, row, sequence, view, function,
 * trigger and overlap guard of the package — plus btree_gist (which the guards use and which lives
 * outside the schema). Written to FILE.partial and renamed when pg_dump succeeded, so a failed
 * backup never leaves a file that looks complete.
 */
export async function backup(db: Db, opts: BackupOptions): Promise<BackupResult> {
	const s = db.settings;
	const facts = await serverFacts(db);
	if (!facts.tables) {
		throw new Error(`Schema "${s.schema}" of database "${s.database}" holds no tables: nothing to back up (check POSTGRES_DB and POSTGRES_SCHEMA)`);
	}
	const file = toolPath('pg_dump', opts.binDir);
	const client = await clientMajor(file);
	const mismatch = versionMismatch('pg_dump', client, facts.num, facts.version);
	if (mismatch) throw new Error(mismatch);
	const partial = `${opts.file}.partial`;
	const conn = libpqEnv(s, s.database, client.major);
	try {
		const args = ['--format=custom', `--schema=${quoteIdentifier(s.schema)}`, `--file=${partial}`, '--no-password'];
		if (facts.btreeGist) args.push('--extension=btree_gist');
		const r = await runTool(file, args, conn.env, [s.password]);
		if (r.code !== 0) {
			rmSync(partial, { force: true });
			throw new Error(`pg_dump failed (exit ${r.code}): ${oneLine(r.stderr)}`);
		}
		renameSync(partial, opts.file);
	} finally {
		conn.cleanup();
	}
	return { file: opts.file, bytes: statSync(opts.file).size, tables: facts.tables, serverVersion: facts.version, clientVersion: client.text };
}

export const oneLine = (text: string) =>
	text
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean)
		.join(' | ')
		.slice(0, 2000);
