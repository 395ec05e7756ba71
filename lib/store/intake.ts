import { DEFAULT_INTAKE_LIMITS, withIntakeClient, type IntakeLimits } from '../db/intakeDb';
import { writeLogs } from '../db/logs';
import type { Db } from '../db/pool';
import { assertSchemaCurrent, forgetSchemaCheck, SchemaOutdatedError } from '../db/schemaGate';
import { extractRequest } from '../payload/request';
import { tally } from './intakeLog';
import { classifyTrouble, type IntakeTrouble } from './intakeTrouble';
import { checkSecret, LOG_SOURCE, storeEvents, type StoreOptions, type StoreOutcome } from './storeEvents';

export interface IntakeOptions extends StoreOptions {
	limits?: IntakeLimits;
	/** Migrations the schema must have (default: the package's); a bench runs an older package's list. */
	requiredVersions?: number[];
}

export interface IntakeResult {
	/** One per input, in order; 'unavailable' (503) for every call that needed the database when it failed. */
	outcomes: StoreOutcome[];
	/** Why the database part failed; null when it worked. logNow: first of its kind this minute (say it in n8n's log). */
	trouble: (IntakeTrouble & { logNow: boolean }) | null;
}

const outcome = (o: Partial<StoreOutcome> & Pick<StoreOutcome, 'status' | 'httpStatus' | 'reason'>): StoreOutcome => ({
	eventId: null,
	idempotencyKey: null,
	source: null,
	kind: null,
	notify: false,
	resubmission: false,
	skipReason: null,
	...o,
});

/**
 * Stores GetCourse calls on the intake pool within the limits (SPEC §12). Never throws for
 * trouble with the database: a call is either stored (one statement: all of it or nothing) or
 * answered 'unavailable'. Calls with a wrong secret are refused before the database is
 * touched and only counted (lib/store/intakeLog.ts).
 */
export async function storeWithin(db: Db, items: Array<Record<string, unknown>>, opts: IntakeOptions): Promise<IntakeResult> {
	const limits = opts.limits ?? DEFAULT_INTAKE_LIMITS;
	const now = opts.now?.().getTime() ?? Date.now();
	const outcomes: StoreOutcome[] = new Array(items.length);
	const accepted: number[] = [];
	items.forEach((item, i) => {
		if (!opts.sharedSecret) return void accepted.push(i);
		const { params, headers } = extractRequest(item);
		const size = Buffer.byteLength(JSON.stringify(params) ?? '');
		const secret = checkSecret(params, headers, opts.sharedSecret, size);
		if (secret.ok) return void accepted.push(i);
		tally(db, LOG_SOURCE, { kind: 'refused', status: 'unauthorized', source: secret.log.source, reason: secret.reason, size }, now);
		outcomes[i] = outcome({ status: 'unauthorized', httpStatus: 401, reason: secret.reason });
	});
	if (!accepted.length) return { outcomes, trouble: null };
	try {
		const stored = await withIntakeClient(db, limits.answerWithinMs, async (c) => {
			await assertSchemaCurrent(c, db, opts.requiredVersions);
			return storeEvents(
				c,
				accepted.map((i) => items[i]),
				{ ...opts, sharedSecret: '' },
			);
		});
		stored.forEach((o, k) => (outcomes[accepted[k]] = o));
		return { outcomes, trouble: null };
	} catch (err) {
		const trouble = classifyTrouble(err);
		for (const i of accepted) outcomes[i] = outcome({ status: 'unavailable', httpStatus: 503, reason: trouble.publicReason, retryAfter: trouble.retryAfter });
		return { outcomes, trouble: { ...trouble, logNow: report(db, err, trouble, now) } };
	}
}

/**
 * An outdated schema is logged once (at once: staff must run init); other trouble is counted
 * and written as one line a minute. Returns whether this call is the first of its kind.
 */
function report(db: Db, err: unknown, trouble: IntakeTrouble, now: number): boolean {
	if (err instanceof SchemaOutdatedError) {
		if (err.firstReport) void logNow(db, trouble);
		return err.firstReport;
	}
	if (trouble.kind === 'setup') forgetSchemaCheck(db);
	return tally(db, LOG_SOURCE, { kind: 'failed', status: 'unavailable', source: trouble.kind, reason: trouble.detail }, now);
}

/** Best effort and bounded: the answer to GetCourse never waits for it. */
async function logNow(db: Db, trouble: IntakeTrouble): Promise<void> {
	const context = { status: 'unavailable', kind: trouble.kind, retry_after: trouble.retryAfter };
	await withIntakeClient(db, 2000, (c) => writeLogs(c, [{ table: 'error_logs', level: 'error', source: LOG_SOURCE, message: trouble.detail, context }])).catch(
		() => undefined,
	);
}
