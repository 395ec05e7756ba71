import { loadMigrations } from './migrate';
import type { Db } from './pool';
import type { Queryable } from './types';

/** The fix for a schema older than the package, in every message that reports one. */
export const SETUP_HINT = 'run GetCourse Maintenance → Set Up Database or `getcourse-bot init`';

/** The package is newer than the database: nothing is stored or sent until `init` ran. */
export class SchemaOutdatedError extends Error {
	readonly code = 'GCB_SCHEMA_OUTDATED';
	/** True for the first report of this database in this process (log it then, once). */
	firstReport = false;
	constructor(message: string) {
		super(message);
		this.name = 'SchemaOutdatedError';
	}
}

/** A schema found current is looked at again after this long (cheap; a restored old backup shows). */
const RECHECK_OK_MS = 5 * 60_000;
const state = new Map<string, { okAt: number | null; reported: boolean }>();

/**
 * SQLSTATEs of a statement that met a schema older than the code: undefined table, column,
 * function, schema. Whatever the version table says, these mean "run init".
 */
const OUTDATED_CODES = new Set(['42P01', '42703', '42883', '3F000']);

export function isOutdatedSchemaError(err: unknown): boolean {
	return err instanceof SchemaOutdatedError || OUTDATED_CODES.has((err as { code?: string })?.code ?? '');
}

/** Whether assertSchemaCurrent would ask the database (callers can skip taking a connection). */
export function schemaCheckDue(db: Db): boolean {
	const s = state.get(db.key ?? db.settings.schema);
	return !s || s.okAt === null || Date.now() - s.okAt >= RECHECK_OK_MS;
}

/** Forget that the schema was found current (a statement met a missing column after all). */
export function forgetSchemaCheck(db: Db): void {
	const s = state.get(db.key ?? db.settings.schema);
	if (s) s.okAt = null;
}

/**
 * Throws SchemaOutdatedError unless every migration of the package is recorded in
 * schema_migrations. One small query the first time per database and process, then cached; an
 * outdated schema is looked at again on every call, so the call after `init` goes through.
 */
export async function assertSchemaCurrent(q: Queryable, db: Db, required = loadMigrations().map((m) => m.version)): Promise<void> {
	const key = db.key ?? db.settings.schema;
	const s = state.get(key) ?? { okAt: null, reported: false };
	state.set(key, s);
	if (s.okAt !== null && Date.now() - s.okAt < RECHECK_OK_MS) return;
	let applied: number[];
	try {
		const r = await q.query<{ versions: number[] }>(`SELECT coalesce(array_agg(version ORDER BY version), '{}') AS versions FROM schema_migrations`);
		applied = r.rows[0].versions.map(Number);
	} catch (err) {
		if ((err as { code?: string }).code !== '42P01') throw err;
		applied = [];
	}
	const missing = required.filter((v) => !applied.includes(v));
	if (!missing.length) {
		s.okAt = Date.now();
		s.reported = false;
		return;
	}
	s.okAt = null;
	const current = applied.length ? Math.max(...applied) : 0;
	const where = `The database schema "${db.settings.schema}"`;
	const what = current === 0 ? 'has no GetCourse Bot tables yet' : `is at version ${current}, this package needs version ${Math.max(...required)}`;
	const err = new SchemaOutdatedError(`${where} ${what} (missing migration${missing.length > 1 ? 's' : ''} ${missing.join(', ')}): ${SETUP_HINT}`);
	err.firstReport = !s.reported;
	s.reported = true;
	throw err;
}
