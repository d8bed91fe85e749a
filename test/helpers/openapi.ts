import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';

/** docs/openapi.json as checked in. */
export const OPENAPI_DOCUMENT = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as OpenApiDocument;

interface ResponseObject {
  readonly $ref?: string;
  readonly content?: Record<string, { readonly schema: unknown }>;
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, { readonly responses?: Record<string, ResponseObject> } | unknown>>;
  readonly components: { readonly responses: Record<string, ResponseObject> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const DOCUMENT_ID = 'https://keygate.invalid/openapi.json';

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Every documented operation response, as `METHOD /path STATUS`. */
export function documentedResponses(document: OpenApiDocument = OPENAPI_DOCUMENT): string[] {
  const found: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { responses?: Record<string, ResponseObject> } | undefined;
      for (const status of Object.keys(operation?.responses ?? {})) found.push(`${method.toUpperCase()} ${path} ${status}`);
    }
  }
  return found.sort();
}

/**
 * Validates response bodies against the document with Ajv in strict mode (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1): the document's own top-level fields are declared as a vocabulary, so a
 * misspelt schema keyword still fails instead of being ignored.
 */
export function openApiValidator(document: OpenApiDocument = OPENAPI_DOCUMENT) {
  const ajv = new Ajv2020({ strict: true, allErrors: true, formats: { 'date-time': (text: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) } });
  ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components', 'security', 'tags', 'externalDocs']);
  ajv.addSchema(document as object, DOCUMENT_ID);

  /** Errors of `body` against the documented response; a status or path that is not documented is an error too. */
  return function validate(method: string, path: string, status: number, body: unknown, contentType = 'application/json'): string[] {
    const operation = document.paths[path]?.[method.toLowerCase()] as { responses?: Record<string, ResponseObject> } | undefined;
    const response = operation?.responses?.[String(status)];
    if (!response) return [`${method} ${path} ${status} is not documented`];
    const location = response.$ref ? response.$ref.slice(1) : `/${pointer('paths', path, method.toLowerCase(), 'responses', String(status))}`;
    const resolved = response.$ref ? document.components.responses[response.$ref.split('/').at(-1) ?? ''] : response;
    if (!resolved?.content?.[contentType]) return [`${method} ${path} ${status} documents no ${contentType} body`];
    const check = ajv.getSchema(`${DOCUMENT_ID}#${location}/${pointer('content', contentType, 'schema')}`);
    if (!check) throw new Error(`no schema at ${location}`);
    return check(body) ? [] : (check.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  };
}
