// Static files the TypeScript build does not emit: icons beside the compiled nodes and
// credentials, schema.sql beside lib/db/schema.js, and the workflow templates.
const { src, dest, parallel } = require('gulp');

const icons = () => src('icons/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/icons'));
const schema = () => src('lib/db/schema.sql').pipe(dest('dist/lib/db'));
const workflows = () => src('workflows/*.json').pipe(dest('dist/workflows'));

exports.build = parallel(icons, schema, workflows);
exports.default = exports.build;
