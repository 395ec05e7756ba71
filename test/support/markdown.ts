import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * GitHub's heading anchors: the heading's text (inline code and link markup stripped) lower-cased,
 * everything but letters, digits, spaces, `-` and `_` dropped, spaces turned into `-`; a repeated
 * anchor gets `-1`, `-2`, … in order.
 */
export function githubSlug(heading: string): string {
	return heading
		.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/[`*]/g, '')
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N} _-]/gu, '')
		.replace(/ /g, '-');
}

/** Code blocks hold no headings; code blocks and inline code hold no links. */
const withoutCodeBlocks = (md: string) => md.replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
const withoutCode = (md: string) => withoutCodeBlocks(md).replace(/`[^`\n]*`/g, '');

export function headingAnchors(md: string): Set<string> {
	const seen = new Map<string, number>();
	const out = new Set<string>();
	for (const m of withoutCodeBlocks(md).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
		const base = githubSlug(m[1]);
		const n = seen.get(base) ?? 0;
		seen.set(base, n + 1);
		out.add(n ? `${base}-${n}` : base);
	}
	return out;
}

export interface LinkProblem {
	file: string;
	link: string;
	problem: string;
}

/** Relative links (and #anchors) of Markdown files: the target file must exist, and so must its heading. */
export function checkRelativeLinks(files: string[], root: string): { checked: number; problems: LinkProblem[] } {
	const problems: LinkProblem[] = [];
	let checked = 0;
	for (const file of files) {
		const md = readFileSync(file, 'utf8');
		for (const m of withoutCode(md).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
			const link = m[1];
			if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
			checked++;
			const [path, anchor] = link.split('#') as [string, string | undefined];
			const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
			const shown = relative(root, file);
			if (!existsSync(target)) {
				problems.push({ file: shown, link, problem: `${relative(root, target)} does not exist` });
				continue;
			}
			if (anchor !== undefined) {
				if (!/\.md$/i.test(target)) {
					problems.push({ file: shown, link, problem: 'an anchor into a file that is not Markdown' });
					continue;
				}
				if (!headingAnchors(readFileSync(target, 'utf8')).has(anchor)) {
					problems.push({ file: shown, link, problem: `no heading "#${anchor}" in ${relative(root, target)}` });
				}
			}
		}
	}
	return { checked, problems };
}

export const repoPath = (...parts: string[]) => join(__dirname, '..', '..', ...parts);
