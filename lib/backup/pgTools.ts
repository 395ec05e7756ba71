import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { selectHost, type PgSettings } from '../config';
import { redact } from '../db/connectionErrors';

/**
 * PostgreSQL's own client programs (pg_dump, pg_restore) run with the package's connection
 * settings. They get them as libpq environment variables, the password as PGPASSWORD, so it is
 * never on a command line (visible to `ps`) nor in anything printed.
 */
export type PgTool = 'pg_dump' | 'pg_restore';

export interface ToolRun {
	code: number;
	stdout: string;
	stderr: string;
}

/** Where the programs come from: --pg-bin, else GETCOURSE_BOT_PG_BIN, else PATH. */
export function toolPath(tool: PgTool, binDir?: string): string {
	const dir = (binDir ?? process.env.GETCOURSE_BOT_PG_BIN ?? '').trim();
	if (!dir) return tool;
	const full = join(resolve(dir), tool);
	if (!existsSync(full)) throw new Error(`${tool} not found in ${resolve(dir)} (from --pg-bin or GETCOURSE_BOT_PG_BIN)`);
	return full;
}

/** Runs a program to the end; a missing program is one readable line. */
export function runTool(file: string, args: string[], env: NodeJS.ProcessEnv, secrets: string[] = []): Promise<ToolRun> {
	return new Promise((resolvePromise, reject) => {
		execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
			const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
			if (err && (err as { code?: unknown }).code === 'ENOENT') {
				reject(
					new Error(
						`${file} was not found: install PostgreSQL's client programs (Debian/Ubuntu: apt-get install postgresql-client) ` +
							'or give their folder with --pg-bin DIR (or GETCOURSE_BOT_PG_BIN)',
					),
				);
				return;
			}
			resolvePromise({ code, stdout: String(stdout), stderr: redact(String(stderr), secrets) });
		});
	});
}

/** The major version of a client program: "pg_dump (PostgreSQL) 15.20 (Debian …)" → 15. */
export async function clientMajor(file: string): Promise<{ major: number; text: string }> {
	const r = await runTool(file, ['--version'], process.env);
	const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(r.stdout);
	if (r.code !== 0 || !m) throw new Error(`Cannot tell the version of ${file}: ${(r.stdout + r.stderr).trim() || `exit ${r.code}`}`);
	return { major: Number(m[1]), text: `${m[1]}${m[2] ? `.${m[2]}` : ''}` };
}

const LIBPQ_SSLMODE: Record<PgSettings['ssl'], string> = {
	disable: 'disable',
	require: 'require',
	'verify-ca': 'verify-ca',
	'verify-full': 'verify-full',
};

export interface LibpqEnv {
	env: NodeJS.ProcessEnv;
	host: string;
	/** Removes the temporary CA file, if one was written. */
	cleanup(): void;
}

/**
 * The environment for pg_dump/pg_restore: the same host choice (dev → external, prod → internal),
 * port, user, database, SSL mode and CA as the package's own connections. A CA given as PEM text
 * goes to a private temporary file (PGSSLROOTCERT); none with verify-* means the system's CAs
 * ("system", understood by libpq 16 and newer).
 */
export function libpqEnv(s: PgSettings, database = s.database, clientMajorVersion = 99): LibpqEnv {
	const host = selectHost(s).host;
	const env: NodeJS.ProcessEnv = { ...process.env };
	for (const key of Object.keys(env)) if (/^PG[A-Z]/.test(key)) delete env[key];
	Object.assign(env, {
		PGHOST: host,
		PGPORT: String(s.port),
		PGUSER: s.user,
		PGDATABASE: database,
		PGSSLMODE: LIBPQ_SSLMODE[s.ssl],
		PGCONNECT_TIMEOUT: String(s.connectionTimeout),
		PGAPPNAME: 'getcourse-bot',
	});
	if (s.password) env.PGPASSWORD = s.password;
	let dir: string | undefined;
	if (s.ssl === 'verify-ca' || s.ssl === 'verify-full') {
		if (s.sslCa) {
			dir = mkdtempSync(join(tmpdir(), 'getcourse-bot-ca-'));
			const file = join(dir, 'root.crt');
			writeFileSync(file, s.sslCa, { mode: 0o600 });
			env.PGSSLROOTCERT = file;
		} else if (clientMajorVersion >= 16) {
			env.PGSSLROOTCERT = 'system';
		}
	}
	return {
		env,
		host,
		cleanup: () => {
			if (dir) rmSync(dir, { recursive: true, force: true });
		},
	};
}
