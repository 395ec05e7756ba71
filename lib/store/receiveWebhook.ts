import { DEFAULT_INTAKE_LIMITS, withIntakeClient, type IntakeLimits } from '../db/intakeDb';
import type { Db } from '../db/pool';
import { isTechApi } from '../payload/normalise';
import { extractRequest } from '../payload/request';
import { beginStart, startWaitingHere } from './coalescedStart';
import { storeWithin, type IntakeOptions } from './intake';
import { tally } from './intakeLog';
import type { IntakeTrouble } from './intakeTrouble';
import { checkSecret, LOG_SOURCE, type StoreOutcome } from './storeEvents';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type StartMode = 'coalesced' | 'eachNew' | 'never';
export const START_MODES: readonly StartMode[] = ['coalesced', 'eachNew', 'never'];

export interface WebhookRequest {
	headers: Record<string, unknown>;
	query: Record<string, unknown>;
	body: unknown;
	/** Size of the body as received (n8n has read it already), in bytes. */
	bodyBytes: number;
}

export interface ReceiveOptions extends Omit<IntakeOptions, 'sharedSecret'> {
	sharedSecret: string;
	maxBodyBytes: number;
	/**
	 * coalesced: a new event that notifies starts an execution unless one this trigger started is
	 * still waiting to claim (lib/store/coalescedStart.ts); eachNew: one execution per such event;
	 * never: store only (the schedules pick events up).
	 */
	start: StartMode;
}

/** What GetCourse Trigger answers, and whether it starts an execution (and with what). */
export interface ReceiveResult {
	httpStatus: 200 | 401 | 413 | 422 | 503;
	/** Response headers: Retry-After with a 503. */
	headers: Record<string, string>;
	response: { ok: boolean; status: string; eventId?: string | null; reason?: string | null };
	/**
	 * The item of the execution this event wants, or null: duplicates, refused calls and statuses
	 * that notify nobody start none. In coalesced mode startExecution() decides whether it starts.
	 */
	execution: Record<string, unknown> | null;
	outcome: StoreOutcome | null;
	/** Why the call was answered 503 (for n8n's log when logNow); null otherwise. */
	trouble: (IntakeTrouble & { logNow: boolean }) | null;
}

const refused = (httpStatus: 401 | 413, status: string, reason: string): ReceiveResult => ({
	httpStatus,
	headers: {},
	response: { ok: false, status, reason },
	execution: null,
	outcome: null,
	trouble: null,
});

/**
 * One GetCourse call, decided in this order: the shared secret (constant time; nothing of the
 * call is looked at before), the size, then storage on the intake pool within the limits
 * (idempotent; the fields and their types are checked there). Refused calls (401, 413) touch no
 * database: they are counted and written as one error_logs line a minute. Database trouble is
 * a 503 with Retry-After and a short reason, never the driver's text.
 */
export async function receiveWebhook(db: Db, req: WebhookRequest, opts: ReceiveOptions): Promise<ReceiveResult> {
	const item = { headers: req.headers, query: req.query, body: req.body };
	const { params, headers } = extractRequest(item);
	const now = opts.now?.().getTime() ?? Date.now();
	const secret = checkSecret(params, headers, opts.sharedSecret, req.bodyBytes);
	if (!secret.ok) {
		tally(db, LOG_SOURCE, { kind: 'refused', status: 'unauthorized', source: secret.log.source, reason: secret.reason, size: req.bodyBytes }, now);
		return refused(401, 'unauthorized', secret.reason);
	}
	if (req.bodyBytes > opts.maxBodyBytes) {
		const reason = `body of ${req.bodyBytes} bytes is over the limit of ${opts.maxBodyBytes} bytes`;
		const source = isTechApi(params) ? 'tech_api' : 'process';
		tally(db, LOG_SOURCE, { kind: 'refused', status: 'too_large', source, reason: `body over the limit of ${opts.maxBodyBytes} bytes`, size: req.bodyBytes }, now);
		return refused(413, 'too_large', reason);
	}
	const {
		outcomes: [outcome],
		trouble,
	} = await storeWithin(db, [item], { ...opts, sharedSecret: '' });
	if (trouble) {
		return {
			httpStatus: 503,
			headers: { 'Retry-After': String(trouble.retryAfter) },
			response: { ok: false, status: 'unavailable', reason: trouble.publicReason },
			execution: null,
			outcome,
			trouble,
		};
	}
	if (outcome.status === 'invalid') {
		return { httpStatus: 422, headers: {}, response: { ok: false, status: 'invalid', reason: outcome.reason }, execution: null, outcome, trouble: null };
	}
	const execution =
		outcome.notify && opts.start !== 'never'
			? {
					eventId: outcome.eventId,
					kind: outcome.kind,
					resubmission: outcome.resubmission,
					source: outcome.source,
					receivedAt: new Date().toISOString(),
				}
			: null;
	return { httpStatus: 200, headers: {}, response: { ok: true, status: outcome.status, eventId: outcome.eventId }, execution, outcome, trouble: null };
}

/**
 * After GetCourse has its answer: the item of the execution to start, or null. Coalesced: only
 * when no execution this trigger started is still waiting to claim (that one picks the event up).
 */
export async function startExecution(
	db: Db,
	mode: StartMode,
	startKey: string,
	wanted: Record<string, unknown> | null,
	limits: IntakeLimits = DEFAULT_INTAKE_LIMITS,
): Promise<Record<string, unknown> | null> {
	if (!wanted || mode === 'never') return null;
	if (mode === 'eachNew') return wanted;
	// the start this process began still waits here (regular mode): no second round trip
	if (startWaitingHere(startKey)) return null;
	// on the intake pool, within the intake's deadline: a troubled database never holds the call
	const start = await withIntakeClient(db, limits.answerWithinMs, (c) => beginStart(c, startKey));
	return start ? { ...wanted, ...start, coalesced: true } : null;
}
