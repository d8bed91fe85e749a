import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { BINDING_POLICIES } from '../core/certificate-binding.js';
import { MAX_PUBLIC_KEY_INPUT_CHARS } from '../core/key-material.js';
import { isValidKeyName } from '../core/limits.js';
import { parseCertificatePins, parseRoutes, type Parsed } from '../core/name-access.js';
import { parseStrictJsonObject, StrictJsonError } from '../core/strict-json.js';
import { HttpError } from './http.js';

export const MAX_BODY_BYTES = 16 * 1024;
const KID = /^[A-Za-z0-9_-]{43}$/;

// Shapes only: name-access.ts checks counts and contents, with their own stable codes. The body
// size (MAX_BODY_BYTES) bounds the lists.
const accessList = z.array(z.string());

export const registerKeyBody = z
  .object({
    publicKey: z.string().min(1).max(MAX_PUBLIC_KEY_INPUT_CHARS),
    binding: z.enum(BINDING_POLICIES).optional(),
    routes: accessList.optional(),
    certificatePins: accessList.optional(),
  })
  .strict();

/** PUT /keys/{name}/access: a list replaces, null removes, a field left out is kept. */
export const changeAccessBody = z
  .object({
    routes: accessList.nullable().optional(),
    certificatePins: accessList.nullable().optional(),
  })
  .strict();

export const revokeCertificateBody = z
  .object({
    issuer: z.string().min(1).max(1024),
    serialNumber: z.string().min(1).max(64),
    reason: z.string().max(256).optional(),
  })
  .strict();

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    nextToken: z.string().min(1).max(4096).optional(),
  })
  .strict();

/** The raw body as UTF-8, bounded before anything else looks at it. */
function bodyText(event: APIGatewayProxyEvent): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `the request body is over ${MAX_BODY_BYTES} bytes`);
  return bytes.toString('utf8');
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Parses a JSON body against a schema: size first, then content type, then JSON, then shape. */
export function parseJsonBody<T>(event: APIGatewayProxyEvent, schema: z.ZodType<T>): T {
  const text = bodyText(event);
  const contentType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'the request body is empty; expected a JSON object');
  const parsed = schema.safeParse(jsonOf(text));
  if (!parsed.success) throw new HttpError(400, 'invalid_request', describeIssue(parsed.error.issues[0]));
  return parsed.data;
}

/**
 * The body's JSON, parsed once by the strict parser: a duplicate member ({"publicKey": <private
 * key>, "publicKey": <public key>}) is refused, not silently resolved to the last one as JSON.parse
 * does. Only a body the strict parser refuses is read by JSON.parse, to tell invalid JSON from an
 * unacceptable object, and to hand a JSON value that is not an object to the schema.
 */
function jsonOf(text: string): unknown {
  try {
    return parseStrictJsonObject(text);
  } catch (error) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
    }
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      throw new HttpError(400, 'invalid_json', `the request body is not acceptable JSON: ${error instanceof StrictJsonError ? error.message : 'invalid'}`);
    }
    return json;
  }
}

const PRINTABLE_FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * One line about the first schema issue, built from our own words only: zod's messages quote
 * the input (an unknown field's name can be a line of a private key), so none of them is echoed.
 */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'body: invalid';
  const where = issue.path.every((part) => typeof part === 'string' && PRINTABLE_FIELD_NAME.test(part)) && issue.path.length > 0 ? issue.path.join('.') : 'body';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const shown = issue.keys.filter((key) => PRINTABLE_FIELD_NAME.test(key));
      const hidden = issue.keys.length - shown.length;
      const names = [...shown.map((key) => `"${key}"`), ...(hidden > 0 ? [`${hidden} not shown`] : [])].join(', ');
      return `${where}: unknown field${issue.keys.length === 1 ? '' : 's'} ${names}`;
    }
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return `${where}: too short or too small (minimum ${String(issue.minimum)})`;
    case 'too_big':
      return `${where}: too long or too large (maximum ${String(issue.maximum)})`;
    default:
      return `${where}: invalid`;
  }
}

export function parseQuery<T>(event: APIGatewayProxyEvent, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw new HttpError(400, 'invalid_request', `query ${describeIssue(parsed.error.issues[0])}`);
  return parsed.data;
}

export function keyNameParameter(event: APIGatewayProxyEvent): string {
  const name = event.pathParameters?.['name'] ?? '';
  if (!isValidKeyName(name)) {
    throw new HttpError(400, 'invalid_key_name', 'key names are 1-64 characters of A-Za-z0-9._-, starting with a letter or digit');
  }
  return name;
}

export function kidParameter(event: APIGatewayProxyEvent): string {
  const kid = event.pathParameters?.['kid'] ?? '';
  if (!KID.test(kid)) throw new HttpError(400, 'invalid_kid', 'a kid is the 43-character RFC 7638 thumbprint of the key');
  return kid;
}

/** The IAM identity that signed the request; registration refuses to act for nobody. */
export function callerArn(event: APIGatewayProxyEvent): string {
  const arn = event.requestContext?.identity?.userArn;
  if (!arn) throw new HttpError(403, 'missing_caller_identity', 'the request carries no caller identity; sign it with SigV4');
  return arn;
}

function accessValue(parsed: Parsed<string[]>): string[] {
  if (!parsed.ok) throw new HttpError(400, parsed.code, parsed.message);
  return parsed.value;
}

/** The access lists of a request, checked and canonical: undefined kept as undefined, null as null. */
export function accessSettingsOf<T extends readonly string[] | null | undefined>(body: { routes?: T; certificatePins?: T }) {
  const check = (list: T | undefined, parse: (values: readonly string[]) => Parsed<string[]>) => (list === undefined || list === null ? list : accessValue(parse(list)));
  return { routes: check(body.routes, parseRoutes), certificatePins: check(body.certificatePins, parseCertificatePins) };
}
