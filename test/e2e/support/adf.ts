// Validates Atlassian Document Format against the published ADF JSON schema (@atlaskit/adf-schema).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);

export function adfValidator(): (doc: unknown) => string | null {
  const file = require.resolve('@atlaskit/adf-schema/dist/json-schema/v1/full.json');
  // The schema is draft-04; its structure compiles fine once the meta-schema reference is dropped.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const validate = new Ajv({ strict: false, validateSchema: false, allErrors: false }).compile(schema);
  return (doc) => (validate(doc) ? null : JSON.stringify(validate.errors?.slice(0, 3)));
}
