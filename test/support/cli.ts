import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PgSettings } from '../../lib/config';

/** The built command line (npm test builds it first). */
export const CLI = join(__dirname, '../../dist/lib/cli/main.js');

/** The environment the README's command line reads, pointed at a test schema (and nothing else of this process's). */
export function cliEnv(settings: PgSettings, over: Record<string, string> = {}): Record<string, string> {
	return {
		PATH: process.env.PATH ?? '',
		POSTGRES_HOST_EXTERNAL: settings.hostExternal,
		POSTGRES_PORT: String(settings.port),
		POSTGRES_USER: settings.user,
		POSTGRES_PASSWORD: settings.password,
		POSTGRES_DB: settings.database,
		POSTGRES_SCHEMA: settings.schema,
		SERVER_ENV: 'dev',
		...over,
	};
}

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** Runs the command line as a user would, with its exit code and output (a failing command is a result, not a throw). */
export async function runCli(settings: PgSettings, args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
	try {
		const r = await promisify(execFile)(process.execPath, [CLI, ...args], { env: cliEnv(settings, o.env), cwd: o.cwd ?? __dirname });
		return { code: 0, stdout: r.stdout, stderr: r.stderr };
	} catch (e) {
		const err = e as CliResult;
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}
