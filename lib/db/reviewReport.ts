import type { Queryable } from './types';

export interface ReviewReportRow {
	/** mentor, training, or total (every review of the period). */
	group: 'mentor' | 'training' | 'total';
	/** The mentor's email or the training id; null for the total (or reviews without a training). */
	key: string | null;
	name: string | null;
	/** Answers (and resubmissions) the mentors were notified of in the period. */
	received: number;
	/** Of them, checked: accepted, declined or commented on by staff (a resubmission is not a check). */
	checked: number;
	medianHours: number | null;
	p90Hours: number | null;
	/** Checked by the deadline. */
	onTime: number;
	/** Answers of the period whose deadline has come: checked ones and those whose deadline passed unchecked. */
	due: number;
	/** onTime / due, in percent (null when nothing was due). */
	onTimePercent: number | null;
	/** Now, whatever the period: open reviews, and those past their deadline. */
	openNow: number;
	overdueNow: number;
}

/**
 * Per mentor, per training and in total, for reviews opened in [from, to): one statement,
 * the period by idx_reviews_opened, "open now" by idx_reviews_mentor_open. Time to check is
 * wall-clock hours from the answer's receipt to the event that checked it.
 */
export async function reviewReport(q: Queryable, from: Date, to: Date): Promise<ReviewReportRow[]> {
	const r = await q.query<{
		grp: 'mentor' | 'training' | 'total';
		key: string | null;
		name: string | null;
		received: string;
		checked: string;
		median_hours: number | null;
		p90_hours: number | null;
		on_time: string;
		due: string;
		open_now: string;
		overdue_now: string;
	}>(
		`WITH base AS (
		   SELECT r.mentor_email, r.mentor_name, r.training_id, r.training_name, r.deadline_at, r.closed_at,
		          r.opened_at >= $1 AND r.opened_at < $2 AS in_period,
		          r.closed_by IN ('accepted', 'declined', 'staff_comment') AS checked,
		          EXTRACT(EPOCH FROM (r.closed_at - r.opened_at)) / 3600.0 AS hours
		     FROM reviews r
		    WHERE (r.opened_at >= $1 AND r.opened_at < $2) OR r.closed_at IS NULL
		 )
		 SELECT CASE WHEN GROUPING(mentor_email) = 0 THEN 'mentor' WHEN GROUPING(training_id) = 0 THEN 'training' ELSE 'total' END AS grp,
		        CASE WHEN GROUPING(mentor_email) = 0 THEN mentor_email WHEN GROUPING(training_id) = 0 THEN training_id END AS key,
		        CASE WHEN GROUPING(mentor_email) = 0 THEN max(mentor_name) WHEN GROUPING(training_id) = 0 THEN max(training_name) END AS name,
		        count(*) FILTER (WHERE in_period) AS received,
		        count(*) FILTER (WHERE in_period AND checked) AS checked,
		        percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE in_period AND checked) AS median_hours,
		        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) FILTER (WHERE in_period AND checked) AS p90_hours,
		        count(*) FILTER (WHERE in_period AND checked AND closed_at <= deadline_at) AS on_time,
		        count(*) FILTER (WHERE in_period AND deadline_at IS NOT NULL
		                           AND (checked OR deadline_at <= LEAST(COALESCE(closed_at, NOW()), NOW()))) AS due,
		        count(*) FILTER (WHERE closed_at IS NULL) AS open_now,
		        count(*) FILTER (WHERE closed_at IS NULL AND deadline_at <= NOW()) AS overdue_now
		   FROM base
		  GROUP BY GROUPING SETS ((mentor_email), (training_id), ())
		  ORDER BY GROUPING(mentor_email), GROUPING(training_id), 2 NULLS LAST`,
		[from, to],
	);
	return r.rows.map((x) => {
		const due = Number(x.due);
		const onTime = Number(x.on_time);
		return {
			group: x.grp,
			key: x.key,
			name: x.name,
			received: Number(x.received),
			checked: Number(x.checked),
			medianHours: x.median_hours === null ? null : Number(x.median_hours),
			p90Hours: x.p90_hours === null ? null : Number(x.p90_hours),
			onTime,
			due,
			onTimePercent: due ? Math.round((onTime / due) * 1000) / 10 : null,
			openNow: Number(x.open_now),
			overdueNow: Number(x.overdue_now),
		};
	});
}
