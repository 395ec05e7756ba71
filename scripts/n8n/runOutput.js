'use strict';
/** Reading what `n8n execute --rawOutput` prints. */

/**
 * The output is log lines, then the run data as pretty JSON (a line "{" … a line "}"), maybe
 * followed by more log lines. Returns the parsed object or null.
 */
function parseTrailingJson(text) {
	const lines = String(text).split('\n');
	for (let i = 0; i < lines.length; i++) {
		if (lines[i].trimEnd() !== '{') continue;
		for (let j = lines.length - 1; j > i; j--) {
			if (lines[j].trimEnd() !== '}') continue;
			try {
				return JSON.parse(lines.slice(i, j + 1).join('\n'));
			} catch {}
		}
	}
	return null;
}

/** From an IRun: { nodeName: [json, ...] } of each node's first run, output 0. */
function nodeOutputs(runData) {
	const result = {};
	const rd = runData && runData.data && runData.data.resultData && runData.data.resultData.runData;
	if (!rd) return result;
	for (const [node, runs] of Object.entries(rd)) {
		const main = runs[0] && runs[0].data && runs[0].data.main;
		result[node] = main && main[0] ? main[0].map((item) => item.json) : [];
	}
	return result;
}

module.exports = { parseTrailingJson, nodeOutputs };
