import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

/** A failure that concerns the whole batch: one error item per input when continueOnFail, else a NodeOperationError. */
export function batchFailure(ctx: IExecuteFunctions, err: unknown, itemCount: number): INodeExecutionData[][] {
	const message = (err as Error)?.message ?? String(err);
	if (ctx.continueOnFail()) {
		const n = Math.max(itemCount, 1);
		return [Array.from({ length: n }, (_, i) => ({ json: { error: message }, pairedItem: { item: i } }))];
	}
	throw new NodeOperationError(ctx.getNode(), message);
}

export function itemFailure(ctx: IExecuteFunctions, message: string, itemIndex: number): INodeExecutionData {
	if (ctx.continueOnFail()) return { json: { error: message }, pairedItem: { item: itemIndex } };
	throw new NodeOperationError(ctx.getNode(), message, { itemIndex });
}
