import { withTransaction, type Db } from '../db/pool';
import { hasUntoldFailures, queueFailedSendAlerts, type FailedSendAlertOptions, type QueuedFailedSendAlert } from '../notify/failedSends';
import type { TelegramConfig } from './client';
import { sendPending, type SendOptions, type SendOutcome } from './sendPending';

/**
 * Send Pending's run with the staff told of failed sends (SPEC §11): the usual send, then one
 * alert queued for each mentor notification failed for good and not alerted yet (this run's
 * or a stopped run's), then — when there are new alerts — one more send, so the staff chat
 * hears of it in the same run. Without a staff chat it is just sendPending.
 */
export async function sendPendingAndAlert(
	db: Db,
	tg: TelegramConfig,
	options: Partial<SendOptions>,
	alerts: FailedSendAlertOptions | null,
): Promise<{ outcomes: SendOutcome[]; alerts: QueuedFailedSendAlert[] }> {
	const outcomes = await sendPending(db.pool, tg, options);
	if (!alerts || !(await hasUntoldFailures(db.pool))) return { outcomes, alerts: [] };
	const queued = await withTransaction(db, (c) => queueFailedSendAlerts(c, alerts));
	if (queued.some((a) => a.created)) outcomes.push(...(await sendPending(db.pool, tg, options)));
	return { outcomes, alerts: queued };
}
