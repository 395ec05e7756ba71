import type { HostChoice, PgSettings } from '../config';

/** Removes every occurrence of the given secrets from a text. */
export function redact(text: string, secrets: Array<string | undefined>): string {
	let out = text;
	for (const s of secrets) {
		if (s && s.length >= 3) out = out.split(s).join('***');
	}
	return out;
}

function hint(err: { code?: string; message?: string }, s: PgSettings): string {
	const msg = String(err.message ?? '');
	switch (err.code) {
		case 'ECONNREFUSED':
			return 'connection refused: check that PostgreSQL runs on that host and port and that the environment (dev/prod) picks the right host';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'host name not found: check the host name; the internal host only resolves inside the hosting cluster (use dev + external host from outside)';
		case 'ETIMEDOUT':
		case 'ECONNRESET':
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return `no answer (${err.code}): check the firewall, the port and the host for this environment`;
		case '28P01':
			return `password authentication failed for user "${s.user}": check the user name and password`;
		case '28000':
			return `the server refused user "${s.user}" (pg_hba.conf or role): check the user name and the server's access rules`;
		case '3D000':
			return `database "${s.database}" does not exist: check the database name`;
		case '3F000':
			return `schema "${s.schema}" does not exist: run "getcourse-bot init" first`;
		case '42P01':
			return `a table is missing in schema "${s.schema}": run "getcourse-bot init" to apply the schema`;
		default:
			break;
	}
	if (/timeout/i.test(msg)) {
		return `no answer within ${s.connectionTimeout} s: check the host for this environment, the port and the firewall`;
	}
	if (/SSL|ssl/.test(msg)) return `SSL problem (${msg}): check the SSL mode`;
	return msg || String(err.code ?? 'unknown error');
}

/** One readable line: where we tried to connect, why that host, what went wrong, what to check. */
export function describeConnectionError(err: unknown, s: PgSettings, choice?: HostChoice): string {
	const e = (err ?? {}) as { code?: string; message?: string };
	const where = choice ? `${choice.host}:${s.port} (${choice.reason})` : `port ${s.port}`;
	const line = `Cannot use PostgreSQL at ${where}, database "${s.database}", user "${s.user}": ${hint(e, s)}`;
	return redact(line, [s.password]);
}
