/** The arguments that are not flags nor flag values: `import mentors a.csv --effective 2026-02-10` → [mentors, a.csv]. */
export function positionals(args: string[], flagsWithValue: string[]): string[] {
	const out: string[] = [];
	for (let i = 0; i < args.length; i++) {
		if (flagsWithValue.includes(args[i])) i++;
		else if (!args[i].startsWith('--')) out.push(args[i]);
	}
	return out;
}

/** Flags a command does not know are mistakes worth stopping for (a typo in --close-missing would sync without it). */
export function assertKnownFlags(args: string[], known: string[]): void {
	const unknown = args.filter((a) => a.startsWith('--') && !known.includes(a));
	if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: ${known.join(' ')})`);
}
