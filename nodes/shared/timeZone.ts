import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';
import { isValidTimeZone } from '../../lib/payload/dates';

export const timeZoneProperty = {
	displayName: 'Time Zone',
	name: 'timeZone',
	type: 'string' as const,
	default: 'Europe/Moscow',
	description: 'IANA time zone of the school, used for GetCourse dates without an offset (like 2025-12-20 14:03:11)',
};

export function readTimeZone(ctx: IExecuteFunctions): string {
	const tz = String(ctx.getNodeParameter('timeZone', 0, 'Europe/Moscow')).trim();
	if (!isValidTimeZone(tz)) throw new NodeOperationError(ctx.getNode(), `Unknown time zone "${tz}": use an IANA name like Europe/Moscow`);
	return tz;
}
