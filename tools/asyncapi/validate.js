// validate.js: checks AsyncAPI documents with the official parser
// (@asyncapi/parser, pinned in package.json, installed by
// tools/test-tools.sh with npm ci).
//
//   node tools/asyncapi/validate.js FILE...
//
// For each FILE it prints one line per diagnostic (severity, rule, path,
// message) and a summary line "FILE: N errors, M warnings, document
// parsed|none". It exits 1 when any document has an error or a warning, or
// when the parser returns no document; 2 on bad usage. Information and
// hints (such as a newer AsyncAPI version being available) are printed but
// do not fail.
'use strict';

const fs = require('fs');
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

const names = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate.js FILE...');
    return 2;
  }
  const parser = new Parser();
  let failed = false;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const { document, diagnostics } = await parser.parse(text, { source: file });
    let errors = 0;
    let warnings = 0;
    for (const d of diagnostics) {
      if (d.severity === DiagnosticSeverity.Error) errors++;
      if (d.severity === DiagnosticSeverity.Warning) warnings++;
      console.log(`${file}: ${names[d.severity] || d.severity} ${d.code} at /${d.path.join('/')}: ${d.message}`);
    }
    console.log(`${file}: ${errors} errors, ${warnings} warnings, document ${document ? 'parsed' : 'none'}`);
    if (errors > 0 || warnings > 0 || !document) failed = true;
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
