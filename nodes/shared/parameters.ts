import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/**
 * A whole-number parameter within bounds. Expressions can get past the editor's min/max, and
 * a 0 or a negative number would hang or idle a run: refuse with the allowed range instead.
 */
export function boundedNumber(ctx: IExecuteFunctions, name: string, min: number, max: number, fallback?: number): number {
	const raw = ctx.getNodeParameter(name, 0, fallback);
	const n = Number(raw);
	if (!Number.isFinite(n) || n < min || n > max) {
		throw new NodeOperationError(ctx.getNode(), `${name} must be between ${min} and ${max}, got ${JSON.stringify(raw)}`);
	}
	return Math.floor(n);
}
