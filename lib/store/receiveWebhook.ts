import { writeLog } from '../db/logs';
import type { Queryable } from '../db/types';
import { isTechApi } from '../payload/normalise';
import { extractRequest } from '../payload/request';
import { beginStart } from './coalescedStart';
import { checkSecret, LOG_SOURCE, storeEvents, type StoreOptions, type StoreOutcome } from './storeEvents';

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

export interface ReceiveOptions extends Omit<StoreOptions, 'sharedSecret'> {
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
	httpStatus: 200 | 401 | 413 | 422;
	response: { ok: boolean; status: string; eventId?: string | null; reason?: string | null };
	/**
	 * The item of the execution this event wants, or null: duplicates, refused calls and statuses
	 * that notify nobody start none. In coalesced mode startExecution() decides whether it starts.
	 */
	execution: Record<string, unknown> | null;
	outcome: StoreOutcome | null;
}

/**
 * One GetCourse call, decided in this order: the shared secret (constant time; nothing of the
 * call is looked at before), the size, the fields and their types, then storage (idempotent).
 * A refused call leaves one short error_logs line: for 401 and 413 without the body.
 */
export async function receiveWebhook(q: Queryable, req: WebhookRequest, opts: ReceiveOptions): Promise<ReceiveResult> {
	const item = { headers: req.headers, query: req.query, body: req.body };
	const { params, headers } = extractRequest(item);
	const secret = checkSecret(params, headers, opts.sharedSecret, req.bodyBytes);
	if (!secret.ok) {
		const { status, source } = secret.log;
		await writeLog(q, 'error_logs', { level: 'warning', source: LOG_SOURCE, message: secret.reason, context: { status, source, size: req.bodyBytes } });
		return { httpStatus: 401, response: { ok: false, status: 'unauthorized', reason: secret.reason }, execution: null, outcome: null };
	}
	if (req.bodyBytes > opts.maxBodyBytes) {
		const reason = `body of ${req.bodyBytes} bytes is over the limit of ${opts.maxBodyBytes} bytes`;
		await writeLog(q, 'error_logs', {
			level: 'warning',
			source: LOG_SOURCE,
			message: reason,
			context: { status: 'too_large', size: req.bodyBytes, source: isTechApi(params) ? 'tech_api' : 'process' },
		});
		return { httpStatus: 413, response: { ok: false, status: 'too_large', reason }, execution: null, outcome: null };
	}
	const [outcome] = await storeEvents(q, [item], { ...opts, sharedSecret: '' });
	if (outcome.status === 'invalid') {
		return { httpStatus: 422, response: { ok: false, status: 'invalid', reason: outcome.reason }, execution: null, outcome };
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
	return { httpStatus: 200, response: { ok: true, status: outcome.status, eventId: outcome.eventId }, execution, outcome };
}

/**
 * After GetCourse has its answer: the item of the execution to start, or null. Coalesced: only
 * when no execution this trigger started is still waiting to claim (that one picks the event up).
 */
export async function startExecution(
	q: Queryable,
	mode: StartMode,
	startKey: string,
	wanted: Record<string, unknown> | null,
	timeoutSeconds?: number,
): Promise<Record<string, unknown> | null> {
	if (!wanted || mode === 'never') return null;
	if (mode === 'eachNew') return wanted;
	const start = await beginStart(q, startKey, timeoutSeconds);
	return start ? { ...wanted, ...start, coalesced: true } : null;
}
