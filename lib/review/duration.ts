/** "3 ч 5 мин", "2 д 4 ч", "45 мин": how long something waited, to the minute, in Russian. */
export function formatDuration(ms: number): string {
	const minutes = Math.max(0, Math.floor(ms / 60_000));
	if (minutes < 1) return 'меньше минуты';
	const d = Math.floor(minutes / 1440);
	const h = Math.floor((minutes % 1440) / 60);
	const m = minutes % 60;
	if (d) return h ? `${d} д ${h} ч` : `${d} д`;
	if (h) return m ? `${h} ч ${m} мин` : `${h} ч`;
	return `${m} мин`;
}

/** Hours as a short number for reports: 1.5 → "1.5 ч", 0.25 → "15 мин", null → "—". */
export function formatHours(hours: number | null): string {
	if (hours === null || !Number.isFinite(hours)) return '—';
	if (hours < 1) return `${Math.round(hours * 60)} мин`;
	return `${Math.round(hours * 10) / 10} ч`;
}
