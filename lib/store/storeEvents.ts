import { storeDeliveries, type InvalidDelivery } from '../db/events';
import type { Queryable } from '../db/types';
import type { FieldMap } from '../payload/fields';
import { normaliseEvent, type EventSource, type NormalisedEvent, type NormaliseResult } from '../payload/normalise';
import { extractRequest } from '../payload/request';
import { SECRET_HEADER, SECRET_PARAM, secretMatches } from './secret';

export interface StoreOptions {
	timeZone: string;
	fields?: Partial<FieldMap>;
	/** Empty: no check. */
	sharedSecret?: string;
	/** Answer statuses that notify a mentor; others are stored as already processed. */
	notifyStatuses: string[];
	now?: () => Date;
}

export type StoreStatus = 'stored' | 'duplicate' | 'invalid' | 'unauthorized';

export interface StoreOutcome {
	status: StoreStatus;
	/** What the Respond to Webhook node should answer. */
	httpStatus: number;
	eventId: string | null;
	idempotencyKey: string | null;
	source: EventSource | null;
	notify: boolean;
	reason: string | null;
}

export const LOG_SOURCE = 'getcourse-store-event';

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

/** Validates and stores a batch of GetCourse calls in one round trip; one outcome per input, in order. */
export async function storeEvents(q: Queryable, items: Array<Record<string, unknown>>, opts: StoreOptions): Promise<StoreOutcome[]> {
	const notifySet = new Set(opts.notifyStatuses.map((s) => s.trim().toLowerCase()).filter(Boolean));
	const valid: Array<{ index: number; event: NormalisedEvent; notify: boolean }> = [];
	const invalid: InvalidDelivery[] = [];
	const outcomes: StoreOutcome[] = new Array(items.length);

	items.forEach((item, index) => {
		const { params, headers } = extractRequest(item);
		const result = safeNormalise(params, opts);
		if (opts.sharedSecret) {
			const given = headers[SECRET_HEADER] ?? params[SECRET_PARAM];
			if (!secretMatches(given, opts.sharedSecret)) {
				const reason = given ? 'shared secret does not match' : 'shared secret is missing';
				const raw = result.ok ? result.event.rawPayload : result.rawPayload;
				invalid.push({ reason, source: result.ok ? result.event.source : result.source, rawPayload: raw, status: 'unauthorized' });
				outcomes[index] = { status: 'unauthorized', httpStatus: 401, eventId: null, idempotencyKey: null, source: null, notify: false, reason };
				return;
			}
		}
		if (!result.ok) {
			invalid.push({ reason: result.reason, source: result.source, rawPayload: result.rawPayload, status: 'invalid' });
			outcomes[index] = { status: 'invalid', httpStatus: 422, eventId: null, idempotencyKey: null, source: result.source, notify: false, reason: result.reason };
			return;
		}
		valid.push({ index, event: result.event, notify: notifySet.has(result.event.status) });
	});

	const stored = await storeDeliveries(q, valid, invalid, LOG_SOURCE);
	const firstSeen = new Set<string>();
	for (const v of valid) {
		const key = v.event.idempotencyKey;
		const row = stored.get(key);
		const isFirst = !firstSeen.has(key);
		firstSeen.add(key);
		const inserted = Boolean(row?.inserted) && isFirst;
		outcomes[v.index] = {
			status: inserted ? 'stored' : 'duplicate',
			httpStatus: 200,
			eventId: row?.id ?? null,
			idempotencyKey: key,
			source: v.event.source,
			notify: v.notify,
			reason: inserted ? null : 'this answer and status were already received',
		};
	}
	return outcomes;
}
