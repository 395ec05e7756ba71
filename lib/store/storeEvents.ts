import { storeDeliveries, type Delivery, type InvalidDelivery, type SkipReason } from '../db/events';
import type { Queryable } from '../db/types';
import type { FieldMap } from '../payload/fields';
import type { EventKind } from '../payload/identity';
import { isTechApi, normaliseEvent, type EventSource, type NormalisedEvent, type NormaliseResult } from '../payload/normalise';
import { extractRequest } from '../payload/request';
import { SECRET_HEADER, SECRET_PARAM, secretMatches } from './secret';

export interface StoreOptions {
	timeZone: string;
	fields?: Partial<FieldMap>;
	/** Empty: no check. */
	sharedSecret?: string;
	/** Answer statuses that notify a mentor; others are stored as already processed. */
	notifyStatuses: string[];
	/** Whether comments on answers notify the mentor. */
	notifyComments?: boolean;
	now?: () => Date;
}

export type StoreStatus = 'stored' | 'duplicate' | 'invalid' | 'unauthorized' | 'unavailable';

export interface StoreOutcome {
	status: StoreStatus;
	/** What the Respond to Webhook node should answer. */
	httpStatus: number;
	eventId: string | null;
	idempotencyKey: string | null;
	source: EventSource | null;
	kind: EventKind | null;
	/** True only for a newly stored event that waits to notify its mentor. */
	notify: boolean;
	resubmission: boolean;
	/** Why a stored event notifies nobody (status not notifying, stale, comments off, a staff comment). */
	skipReason: SkipReason | null;
	reason: string | null;
	/** unavailable (503): seconds to wait before calling again. */
	retryAfter?: number;
}

export const LOG_SOURCE = 'getcourse-store-event';

const refused = (status: 'invalid' | 'unauthorized', httpStatus: number, source: EventSource | null, reason: string): StoreOutcome => ({
	status,
	httpStatus,
	eventId: null,
	idempotencyKey: null,
	source,
	kind: null,
	notify: false,
	resubmission: false,
	skipReason: null,
	reason,
});

/** One unreadable delivery must never fail the whole batch: it becomes an invalid item. */
function safeNormalise(params: Record<string, unknown>, opts: StoreOptions): NormaliseResult {
	try {
		return normaliseEvent(params, { timeZone: opts.timeZone, fields: opts.fields, dropKeys: [SECRET_PARAM], now: opts.now });
	} catch (err) {
		return {
			ok: false,
			source: 'process',
			reason: `payload could not be read: ${(err as Error).message}`.slice(0, 500),
			rawPayload: { keys: Object.keys(params).slice(0, 50) },
		};
	}
}

/**
 * Checks the shared secret (constant time) before anything else looks at the call. A refused
 * call leaves a short line (reason, size, kind) and never its body.
 */
export function checkSecret(
	params: Record<string, unknown>,
	headers: Record<string, string>,
	expected: string,
	size: number,
): { ok: true } | { ok: false; reason: string; log: InvalidDelivery } {
	const given = headers[SECRET_HEADER] ?? params[SECRET_PARAM];
	if (secretMatches(given, expected)) return { ok: true };
	const reason = given ? 'shared secret does not match' : 'shared secret is missing';
	const source = isTechApi(params) ? 'tech_api' : 'process';
	return { ok: false, reason, log: { reason, source, status: 'unauthorized', rawPayload: { size } } };
}

/**
 * Why a call notifies nobody, from the call alone. A comment whose author is not the answer's
 * student (the mentor's or a curator's reply) is staff's own: stored processed, no alert (SPEC §8).
 */
function skipOf(e: NormalisedEvent, notifyStatuses: Set<string>, notifyComments: boolean): SkipReason | null {
	if (e.kind === 'comment') {
		if (e.authorUserId && e.userId && e.authorUserId !== e.userId) return 'staff_comment';
		return notifyComments ? null : 'comments_off';
	}
	return notifyStatuses.has(e.status) ? null : 'status';
}

/** Validates and stores a batch of GetCourse calls in one round trip; one outcome per input, in order. */
export async function storeEvents(q: Queryable, items: Array<Record<string, unknown>>, opts: StoreOptions): Promise<StoreOutcome[]> {
	const notifySet = new Set(opts.notifyStatuses.map((s) => s.trim().toLowerCase()).filter(Boolean));
	const valid: Array<Delivery & { index: number }> = [];
	const invalid: InvalidDelivery[] = [];
	const outcomes: StoreOutcome[] = new Array(items.length);

	items.forEach((item, index) => {
		const { params, headers } = extractRequest(item);
		if (opts.sharedSecret) {
			const size = Buffer.byteLength(JSON.stringify(params) ?? '');
			const secret = checkSecret(params, headers, opts.sharedSecret, size);
			if (!secret.ok) {
				invalid.push(secret.log);
				outcomes[index] = refused('unauthorized', 401, null, secret.reason);
				return;
			}
		}
		const result = safeNormalise(params, opts);
		if (!result.ok) {
			invalid.push({ reason: result.reason, source: result.source, rawPayload: result.rawPayload, status: 'invalid' });
			outcomes[index] = refused('invalid', 422, result.source, result.reason);
			return;
		}
		valid.push({ index, event: result.event, skip: skipOf(result.event, notifySet, opts.notifyComments !== false) });
	});

	if (!valid.length && !invalid.length) return outcomes; // nothing to write
	const stored = await storeDeliveries(q, valid, invalid, LOG_SOURCE);
	valid.forEach((v, k) => {
		const row = stored[k];
		const inserted = Boolean(row?.inserted);
		outcomes[v.index] = {
			status: inserted ? 'stored' : 'duplicate',
			httpStatus: 200,
			eventId: row?.id ?? null,
			idempotencyKey: row?.idempotencyKey ?? v.event.callKey,
			source: v.event.source,
			kind: v.event.kind,
			notify: inserted && row?.skipReason === null,
			resubmission: Boolean(row?.resubmission),
			skipReason: row?.skipReason ?? null,
			reason: inserted ? null : 'this call was already received (a redelivery)',
		};
	});
	return outcomes;
}
