import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Email addresses as this package stores and compares them (SPEC §8): trimmed, lower-case, the
 * domain in its Unicode form, so `Ученица@ПОЧТА.РФ`, `ученица@xn--80a1acny.xn--p1ai` and
 * `ученица@почта.рф` are one address. Internationalised addresses are ordinary here (zod's
 * `.email()` refuses them). The domain goes through Node's IDNA (UTS #46) conversion, which
 * also refuses what no DNS name can be.
 */
export function normaliseEmail(raw: unknown): string | null {
	if (typeof raw !== 'string') return null;
	const v = raw.trim().normalize('NFC');
	const at = v.lastIndexOf('@');
	if (at <= 0 || at === v.length - 1) return null;
	const local = v.slice(0, at);
	const domain = v.slice(at + 1);
	// No spaces, no controls, no second @, no quotes: a school's address book has none of those.
	if (local.length > 64 || /[\s@"<>()[\]\\,;:\p{Cc}]/u.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
	const ascii = domainToASCII(domain);
	if (!ascii || ascii.length > 253) return null;
	const labels = ascii.split('.');
	if (labels.length < 2 || labels.some((l) => !l || l.length > 63 || !/^[a-z0-9-]+$/.test(l) || l.startsWith('-') || l.endsWith('-'))) return null;
	if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/.test(labels[labels.length - 1])) return null;
	const out = `${local.toLowerCase()}@${domainToUnicode(ascii)}`;
	return out.length <= 255 ? out : null;
}

