import { readFileSync } from 'node:fs';
import { validateIdentifier } from './identifiers';

export type ServerEnv = 'dev' | 'prod';
/**
 * libpq's meanings: `require` encrypts without checking the certificate; `verify-ca` checks that
 * the certificate chains to the CA (sslCa, else the system's CAs) but not the host name;
 * `verify-full` checks both.
 */
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/** Connection settings shared by the n8n credential and the command line. */
export interface PgSettings {
	hostExternal: string;
	hostInternal: string;
	environment: ServerEnv;
	port: number;
	user: string;
	password: string;
	database: string;
	schema: string;
	ssl: SslMode;
	/** PEM text of the CA (or CAs) that signed the server's certificate; '' = the system's CAs. Used by verify-ca and verify-full. */
	sslCa: string;
	/** Seconds; the seed raised it to 60 for slow cloud connections. */
	connectionTimeout: number;
}

export interface HostChoice {
	host: string;
	reason: string;
}

export const DEFAULT_SETTINGS: PgSettings = {
	hostExternal: '',
	hostInternal: '',
	environment: 'dev',
	port: 5432,
	user: 'postgres',
	password: '',
	database: 'postgres',
	schema: 'public',
	ssl: 'disable',
	sslCa: '',
	connectionTimeout: 60,
};

/** dev → external host (reachable from outside), prod → internal host (cluster DNS). */
export function selectHost(s: Pick<PgSettings, 'environment' | 'hostExternal' | 'hostInternal'>): HostChoice {
	const external = s.hostExternal.trim();
	const internal = s.hostInternal.trim();
	if (s.environment === 'prod') {
		if (internal) return { host: internal, reason: 'environment is prod, so the internal host is used' };
		if (external) return { host: external, reason: 'environment is prod but no internal host is set, so the external host is used' };
	} else {
		if (external) return { host: external, reason: 'environment is dev, so the external host is used' };
		if (internal) return { host: internal, reason: 'environment is dev but no external host is set, so the internal host is used' };
	}
	throw new Error('No PostgreSQL host configured: set the external host (dev) or the internal host (prod)');
}

function parseEnvironment(value: string | undefined): ServerEnv {
	const v = (value ?? 'dev').trim().toLowerCase();
	if (v === 'prod' || v === 'production') return 'prod';
	if (v === 'dev' || v === 'development' || v === '') return 'dev';
	throw new Error(`Invalid SERVER_ENV ${JSON.stringify(value)}: use dev or prod`);
}

function parseSsl(value: string | undefined): SslMode {
	const v = (value ?? 'disable').trim().toLowerCase();
	if (v === '' || v === 'disable' || v === 'false' || v === 'off') return 'disable';
	if (v === 'require' || v === 'true' || v === 'on') return 'require';
	if (v === 'verify-ca') return 'verify-ca';
	if (v === 'verify-full') return 'verify-full';
	throw new Error(`Invalid SSL mode ${JSON.stringify(value)}: use ${SSL_MODES.join(', ')}`);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * A CA certificate as PEM text. Pasted text may come with Windows line ends or with the line
 * breaks written as literal "\n" (as in many .env files); both are accepted.
 */
export function normaliseCa(value: unknown): string {
	if (value === undefined || value === null) return '';
	let text = String(value).trim();
	if (!text) return '';
	if (!text.includes('\n') && text.includes('\\n')) text = text.split('\\n').join('\n');
	text = text.replace(/\r\n?/g, '\n');
	if (!PEM_CERTIFICATE.test(text)) {
		throw new Error('Invalid CA certificate: expected PEM text from "-----BEGIN CERTIFICATE-----" to "-----END CERTIFICATE-----"');
	}
	return text + '\n';
}

/** POSTGRES_SSL_CA: the PEM text itself, or the path of a PEM file. */
export function readCaSetting(value: string | undefined): string {
	const v = (value ?? '').trim();
	if (!v) return '';
	if (v.includes('-----BEGIN')) return normaliseCa(v);
	let text: string;
	try {
		text = readFileSync(v, 'utf8');
	} catch (err) {
		throw new Error(`Cannot read the CA certificate file given in POSTGRES_SSL_CA (${v}): ${(err as { code?: string }).code ?? (err as Error).message}`);
	}
	try {
		return normaliseCa(text);
	} catch (err) {
		throw new Error(`POSTGRES_SSL_CA file ${v}: ${(err as Error).message}`);
	}
}

function parsePositiveInt(value: string | number | undefined, fallback: number, what: string): number {
	if (value === undefined || value === '') return fallback;
	const n = typeof value === 'number' ? value : Number(String(value).trim());
	if (!Number.isInteger(n) || n <= 0 || n > 65535 * 100) {
		throw new Error(`Invalid ${what} ${JSON.stringify(value)}: expected a positive whole number`);
	}
	return n;
}

/** Checks and completes settings from any source (credential or environment). */
export function normaliseSettings(input: Partial<Record<keyof PgSettings, unknown>>): PgSettings {
	const str = (v: unknown, d: string) => (v === undefined || v === null ? d : String(v));
	const port = parsePositiveInt(input.port as string | number | undefined, DEFAULT_SETTINGS.port, 'port');
	if (port > 65535) throw new Error(`Invalid port ${port}: expected 1-65535`);
	const settings: PgSettings = {
		hostExternal: str(input.hostExternal, ''),
		hostInternal: str(input.hostInternal, ''),
		environment: parseEnvironment(input.environment as string | undefined),
		port,
		user: str(input.user, DEFAULT_SETTINGS.user),
		password: str(input.password, ''),
		database: str(input.database, DEFAULT_SETTINGS.database),
		schema: str(input.schema, DEFAULT_SETTINGS.schema).trim() || 'public',
		ssl: parseSsl(input.ssl as string | undefined),
		sslCa: normaliseCa(input.sslCa),
		connectionTimeout: parsePositiveInt(
			input.connectionTimeout as string | number | undefined,
			DEFAULT_SETTINGS.connectionTimeout,
			'connection timeout',
		),
	};
	validateIdentifier(settings.schema);
	return settings;
}

/** Minimal .env reader: KEY=value lines, optional quotes, # comments; never overrides set variables. */
export function parseDotEnv(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.trim();
		if (!line || line.startsWith('#')) continue;
		const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
		if (!m) continue;
		let value = m[2];
		const quoted = /^(['"])(.*)\1$/.exec(value);
		if (quoted) value = quoted[2];
		else value = value.replace(/\s+#.*$/, '').trim();
		out[m[1]] = value;
	}
	return out;
}

export function loadDotEnv(path = '.env', env: NodeJS.ProcessEnv = process.env): boolean {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch {
		return false;
	}
	for (const [k, v] of Object.entries(parseDotEnv(text))) {
		if (env[k] === undefined) env[k] = v;
	}
	return true;
}

/** Settings from the seed's variables (POSTGRES_HOST_EXTERNAL … SERVER_ENV), plus POSTGRES_SSL, POSTGRES_SSL_CA and POSTGRES_CONNECT_TIMEOUT. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PgSettings {
	return normaliseSettings({
		hostExternal: env.POSTGRES_HOST_EXTERNAL ?? env.POSTGRES_HOST,
		hostInternal: env.POSTGRES_HOST_INTERNAL,
		environment: env.SERVER_ENV,
		port: env.POSTGRES_PORT,
		user: env.POSTGRES_USER,
		password: env.POSTGRES_PASSWORD,
		database: env.POSTGRES_DB,
		schema: env.POSTGRES_SCHEMA,
		ssl: env.POSTGRES_SSL,
		sslCa: readCaSetting(env.POSTGRES_SSL_CA),
		connectionTimeout: env.POSTGRES_CONNECT_TIMEOUT,
	});
}
