/** Waits between attempts to resolve an event, in minutes: staff get time to add what is missing. */
export const DEFAULT_RETRY_SCHEDULE_MINUTES = [1, 2, 5, 10, 30, 60, 120, 240, 480, 720];

/** "1, 2, 5, 10" → [1, 2, 5, 10]; every entry a positive number of minutes. */
export function parseRetrySchedule(text: string): number[] {
	const parts = String(text)
		.split(/[,;\s]+/)
		.map((s) => s.trim())
		.filter(Boolean);
	const values = parts.map(Number);
	if (!values.length || values.some((v) => !Number.isFinite(v) || v <= 0 || v > 7 * 24 * 60)) {
		throw new Error(`Retry schedule ${JSON.stringify(text)} must be minutes separated by commas, like "1, 2, 5, 10, 30"`);
	}
	return values;
}

/** Seconds to wait after the given attempt (1-based); the last entry repeats. */
export function retryDelaySeconds(schedule: number[], attempt: number): number {
	const minutes = schedule[Math.min(Math.max(attempt, 1), schedule.length) - 1];
	return Math.round(minutes * 60);
}
