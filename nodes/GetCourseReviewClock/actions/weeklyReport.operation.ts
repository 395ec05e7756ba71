import { queueWeeklyReport } from '../../../lib/review/report';
import { readTimeZone } from '../../shared/timeZone';
import { readStaffChat, type ReviewOperation } from './common';

/** Last week's review report (Monday to Sunday, school time) to the staff chat, once a week. */
export const weeklyReportOperation: ReviewOperation = {
	properties: [],
	async execute(ctx, db) {
		const r = await queueWeeklyReport(db.pool, { timeZone: readTimeZone(ctx), staffChatId: readStaffChat(ctx) });
		const total = r.rows.find((x) => x.group === 'total');
		return {
			json: { period: r.period, created: r.created, total: total ? { ...total } : null, rows: r.rows.map((x) => ({ ...x })) },
			counts: { reports: r.created ? 1 : 0 },
		};
	},
};
