'use strict';
/**
 * Putting this package where n8n loads community packages from:
 * <userFolder>/.n8n/nodes/node_modules/<package name>, listed in <userFolder>/.n8n/nodes/package.json.
 *
 *  - linkPackage: a symlink to a working copy (fast; the tests and `npm start` use the built dist/)
 *  - installPackedPackage: an `npm pack` tarball installed the way n8n's Community Nodes installer
 *    does it (n8n 2.40.7, CommunityPackagesService.downloadPackage): unpacked into that folder, dev,
 *    peer and optional dependencies removed from its package.json, then `npm install` there with
 *    --install-strategy=shallow --ignore-scripts --package-lock=false (production dependencies only).
 */
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { PACKAGE_NAME, REPO_DIR } = require('./paths');
const { run } = require('./processes');

async function nodesFolder(userFolder) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	await fsp.mkdir(path.join(nodesDir, 'node_modules'), { recursive: true });
	const manifest = path.join(nodesDir, 'package.json');
	if (!fs.existsSync(manifest)) await fsp.writeFile(manifest, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	return { nodesDir, manifest, packageDir: path.join(nodesDir, 'node_modules', PACKAGE_NAME) };
}

/**
 * Checks that every runtime dependency resolves inside the package's own node_modules (n8n puts its
 * own modules on NODE_PATH, so a missing dependency would silently resolve to n8n's copy).
 */
function assertOwnDependencies(packageDir) {
	const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
	for (const dep of Object.keys(pkg.dependencies || {})) {
		let resolved;
		try {
			resolved = require.resolve(`${dep}/package.json`, { paths: [packageDir] });
		} catch {
			throw new Error(`dependency ${dep} is not installed in ${packageDir}/node_modules (npm install)`);
		}
		if (!fs.realpathSync(resolved).startsWith(fs.realpathSync(path.join(packageDir, 'node_modules')) + path.sep)) {
			throw new Error(`dependency ${dep} resolves outside the package (${resolved})`);
		}
	}
	return pkg;
}

/** Makes n8n load `packageDir` (a built working copy) through a symlink. */
async function linkPackage(userFolder, packageDir = REPO_DIR) {
	packageDir = path.resolve(packageDir);
	const pkg = JSON.parse(await fsp.readFile(path.join(packageDir, 'package.json'), 'utf8'));
	if (pkg.name !== PACKAGE_NAME) throw new Error(`linkPackage: ${packageDir} holds ${pkg.name}, expected ${PACKAGE_NAME}`);
	const nodesList = (pkg.n8n && pkg.n8n.nodes) || [];
	const missing = nodesList.filter((file) => !fs.existsSync(path.join(packageDir, file)));
	if (!nodesList.length || missing.length) {
		throw new Error(
			`linkPackage: the package is not built or package.json "n8n.nodes" is empty/wrong (missing: ${missing.join(', ') || 'no nodes listed'}). Run \`npm run build\` first.`,
		);
	}
	try {
		assertOwnDependencies(packageDir);
	} catch (error) {
		throw new Error(`linkPackage: ${error.message}`);
	}
	const { packageDir: link } = await nodesFolder(userFolder);
	await fsp.rm(link, { recursive: true, force: true });
	await fsp.symlink(packageDir, link, 'dir');
	return link;
}

/** Installs an `npm pack` tarball as n8n's installer would; returns the installed folder. */
async function installPackedPackage(userFolder, tarball, { env } = {}) {
	const { manifest, packageDir } = await nodesFolder(userFolder);
	await fsp.rm(packageDir, { recursive: true, force: true });
	await fsp.mkdir(packageDir, { recursive: true });
	await run('tar', ['-xzf', path.resolve(tarball), '-C', packageDir, '--strip-components=1'], { label: 'tar -xzf (package tarball)' });
	const pkgFile = path.join(packageDir, 'package.json');
	// eslint-disable-next-line no-unused-vars
	const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(await fsp.readFile(pkgFile, 'utf8'));
	if (pkg.name !== PACKAGE_NAME) throw new Error(`installPackedPackage: ${tarball} holds ${pkg.name}, expected ${PACKAGE_NAME}`);
	await fsp.writeFile(pkgFile, JSON.stringify(pkg, null, 2));
	await run(
		'npm',
		['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', '--prefer-offline'],
		{ cwd: packageDir, env: env || process.env, label: `npm install (${PACKAGE_NAME} from ${path.basename(tarball)})` },
	);
	assertOwnDependencies(packageDir);
	const nodes = JSON.parse(await fsp.readFile(manifest, 'utf8'));
	nodes.dependencies = { ...(nodes.dependencies || {}), [PACKAGE_NAME]: pkg.version };
	await fsp.writeFile(manifest, JSON.stringify(nodes, null, 2));
	return packageDir;
}

module.exports = { linkPackage, installPackedPackage };
