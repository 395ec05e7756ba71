import type { HostChoice, PgSettings } from '../config';

/** Removes every occurrence of the given secrets from a text. */
export function redact(text: string, secrets: Array<string | undefined>): string {
	let out = text;
	for (const s of secrets) {
		if (s && s.length >= 3) out = out.split(s).join('***');
	}
	return out;
}

/** Node's certificate-chain errors (tls.connect with rejectUnauthorized). */
const UNTRUSTED_CHAIN = new Set([
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_SIGNATURE_FAILURE',
	'CERT_UNTRUSTED',
	'CERT_REJECTED',
]);

function tlsHint(code: string, msg: string, s: PgSettings, host: string | undefined): string | undefined {
	const ca = s.sslCa ? 'the CA certificate given' : "the system's CAs (no CA certificate given)";
	if (UNTRUSTED_CHAIN.has(code)) {
		return (
			`TLS: the server's certificate is not signed by ${ca} (${code}: ${msg}): ` +
			`put the CA that issued the server's certificate into "CA Certificate" (POSTGRES_SSL_CA), or use SSL mode require to encrypt without verifying`
		);
	}
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
		return (
			`TLS: the server's certificate is not issued for "${host ?? 'this host'}" (${msg}): ` +
			`connect with a host name the certificate names, or use SSL mode verify-ca to check the CA only`
		);
	}
	if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
		return `TLS: the server's certificate is outside its validity dates (${code}): renew it on the server, or check this machine's clock`;
	}
	if (/does not support SSL/i.test(msg)) {
		return 'the server does not support SSL connections: set SSL to disable, or turn ssl on in the server\'s postgresql.conf';
	}
	if (/no encryption/i.test(msg)) {
		return `the server has no access rule for this connection without SSL (${msg}): if it expects SSL, set SSL to require, verify-ca or verify-full; otherwise check pg_hba.conf`;
	}
	if (code.startsWith('ERR_SSL') || code === 'EPROTO' || /\bSSL\b|\bTLS\b/i.test(msg)) {
		return `TLS problem (${code ? code + ': ' : ''}${msg}): check the SSL mode and the server's certificate`;
	}
	return undefined;
}

/** The cause and what to check. `msg` is the driver's text, already cleaned of the password. */
function hint(code: string, msg: string, s: PgSettings, host: string | undefined): string {
	switch (code) {
		case 'ECONNREFUSED':
			return 'connection refused: check that PostgreSQL runs on that host and port and that the environment (dev/prod) picks the right host';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'host name not found: check the host name; the internal host only resolves inside the hosting cluster (use dev + external host from outside)';
		case 'ETIMEDOUT':
		case 'ECONNRESET':
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return `no answer (${code}): check the firewall, the port and the host for this environment`;
		case '28P01':
			return `password authentication failed for user "${s.user}": check the user name and password`;
		case '3D000':
			return `database "${s.database}" does not exist: check the database name`;
		case '3F000':
			return `schema "${s.schema}" does not exist: run "getcourse-bot init" first`;
		case '42P01':
			return `a table is missing in schema "${s.schema}": run "getcourse-bot init" to apply the schema`;
		default:
			break;
	}
	const tls = tlsHint(code, msg, s, host);
	if (tls) return tls;
	if (code === '28000') return `the server refused user "${s.user}" (pg_hba.conf or role): check the user name and the server's access rules`;
	if (/timeout/i.test(msg)) {
		return `no answer within ${s.connectionTimeout} s: check the host for this environment, the port and the firewall`;
	}
	return msg || code || 'unknown error';
}

/**
 * One readable line: where we tried to connect, why that host, what went wrong, what to check.
 * The password is removed from the driver's text only: our own words (host, user, database)
 * are printed as configured, even when one of them happens to equal the password.
 */
export function describeConnectionError(err: unknown, s: PgSettings, choice?: HostChoice): string {
	const e = (err ?? {}) as { code?: unknown; message?: unknown };
	const code = redact(String(e.code ?? ''), [s.password]);
	const msg = redact(String(e.message ?? ''), [s.password]).replace(/\s*\n\s*/g, ' ').trim();
	const where = choice ? `${choice.host}:${s.port} (${choice.reason})` : `port ${s.port}`;
	return `Cannot use PostgreSQL at ${where}, database "${s.database}", user "${s.user}": ${hint(code, msg, s, choice?.host)}`;
}
