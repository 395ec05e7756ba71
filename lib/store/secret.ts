import { createHash, timingSafeEqual } from 'node:crypto';

export const SECRET_PARAM = 'secret';
export const SECRET_HEADER = 'x-getcourse-secret';

/** Constant-time comparison (digests make the lengths equal). */
export function secretMatches(given: unknown, expected: string): boolean {
	if (typeof given !== 'string' || !given) return false;
	const a = createHash('sha256').update(given).digest();
	const b = createHash('sha256').update(expected).digest();
	return timingSafeEqual(a, b);
}
