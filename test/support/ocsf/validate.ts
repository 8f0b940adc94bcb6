// OCSF 1.9 validation for the tests: turns the resolved source (schema-source.ts) into a JSON
// Schema per event class and checks records with ajv. What it holds a record to:
// - required attributes present, every `at_least_one` / `just_one` constraint;
// - no attribute the class or object does not define (only `unmapped` is free), none
//   deprecated, and a profile's attributes only when `metadata.profiles` lists the profile;
// - types (string, integer, timestamp, port range, ip…), arrays, nested objects;
// - every `_id` in its enum, and its sibling caption equal to the enum's caption (free only
//   for `Other`, where the source's own label goes), class/category/type uids and captions,
//   and `type_uid = class_uid × 100 + activity_id`.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  OcsfSource,
  type ResolvedAttribute,
  type ResolvedClass,
  type ResolvedShape,
} from './schema-source.ts';

type Schema = Record<string, unknown>;

/** The classes Warden emits, by uid → source file under events/. */
export const WARDEN_CLASSES: Record<number, string> = {
  2004: 'findings/detection_finding',
  4001: 'network/network_activity',
  4002: 'network/http_activity',
  6002: 'application/application_lifecycle',
  6003: 'application/api_activity',
  6004: 'application/web_resource_access_activity',
};

/** A JSON Schema `if`/`then` pair (built so that no object literal has a `then` member). */
function ifThen(condition: Schema, consequence: Schema): Schema {
  return Object.fromEntries([
    ['if', condition],
    ['then', consequence],
  ]);
}

const isOther = (caption: string) => caption === 'Other' || caption.endsWith(': Other');

export class OcsfValidator {
  readonly source: OcsfSource;
  readonly #ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  readonly #definitions: Record<string, Schema> = {};
  readonly #byClass = new Map<number, ValidateFunction>();
  readonly classes = new Map<number, ResolvedClass>();

  constructor(source = new OcsfSource()) {
    this.source = source;
    for (const [uid, rel] of Object.entries(WARDEN_CLASSES)) {
      const cls = source.eventClass(rel);
      if (cls.uid !== Number(uid)) throw new Error(`${rel} resolved to class ${cls.uid}, expected ${uid}`);
      this.classes.set(cls.uid, cls);
    }
    for (const cls of this.classes.values()) {
      const schema = { ...this.#shapeSchema(cls, true), definitions: this.#definitions };
      this.#byClass.set(cls.uid, this.#ajv.compile(schema));
    }
  }

  /** Every problem with `record` as an OCSF 1.9 event ([] when it is valid). */
  problems(record: unknown): string[] {
    const uid = (record as { class_uid?: unknown } | null)?.class_uid;
    const validate = typeof uid === 'number' ? this.#byClass.get(uid) : undefined;
    if (!validate) return [`class_uid ${String(uid)} is not a class this validator knows`];
    if (validate(record)) return [];
    return [...new Set((validate.errors ?? []).filter(meaningful).map(describe))];
  }

  #typeSchema(a: ResolvedAttribute): Schema {
    let schema: Schema;
    if (a.name === 'unmapped') schema = { type: 'object' };
    else if (this.source.isObjectType(a.type)) schema = this.#objectRef(a.type);
    else schema = this.#scalar(a.type);
    if (a.enum && !this.source.isObjectType(a.type))
      schema = {
        ...schema,
        enum: Object.keys(a.enum).map((k) => (schema.type === 'string' ? k : Number(k))),
      };
    return a.isArray ? { type: 'array', items: schema } : schema;
  }

  #scalar(type: string): Schema {
    const t = this.source.types.get(type);
    if (!t) return {};
    const base = t.base === type ? type : (this.source.types.get(t.base)?.base ?? t.base);
    const out: Schema =
      base === 'string_t'
        ? { type: 'string' }
        : base === 'integer_t' || base === 'long_t'
          ? { type: 'integer' }
          : base === 'float_t'
            ? { type: 'number' }
            : base === 'boolean_t'
              ? { type: 'boolean' }
              : {};
    if (t.regex) out.pattern = t.regex;
    if (t.maxLen) out.maxLength = t.maxLen;
    if (t.range) Object.assign(out, { minimum: t.range[0], maximum: t.range[1] });
    return out;
  }

  #objectRef(name: string): Schema {
    if (!(name in this.#definitions)) {
      this.#definitions[name] = {}; // placeholder while it resolves (objects nest by name)
      const shape = this.source.object(name);
      this.#definitions[name] = shape
        ? this.#shapeSchema(shape, false)
        : {
            not: {},
            description: `object ${name} is not in the vendored OCSF 1.9 subset (test/fixtures/ocsf-1.9)`,
          };
    }
    return { $ref: `#/definitions/${name}` };
  }

  #shapeSchema(shape: ResolvedShape, isClass: boolean): Schema {
    const properties: Schema = {};
    const required: string[] = [];
    const allOf: Schema[] = [];
    const profiles = new Map<string, string[]>();
    for (const a of shape.attributes.values()) {
      properties[a.name] = a.deprecated
        ? { not: {}, description: `${a.name} is deprecated in OCSF 1.9: ${a.deprecated}` }
        : this.#typeSchema(a);
      if (a.requirement === 'required' && !a.profile) required.push(a.name);
      if (a.profile && isClass) profiles.set(a.profile, [...(profiles.get(a.profile) ?? []), a.name]);
      if (a.enum && a.sibling && !this.source.isObjectType(a.type) && shape.attributes.has(a.sibling))
        for (const [id, e] of Object.entries(a.enum))
          if (!isOther(e.caption))
            allOf.push(
              ifThen(
                { properties: { [a.name]: { const: Number(id) } }, required: [a.name] },
                {
                  properties: {
                    [a.sibling]: { const: e.caption, description: `${a.sibling} of ${a.name} ${id}` },
                  },
                },
              ),
            );
    }
    if (isClass) {
      const activity = shape.attributes.get('activity_id');
      const uid = (shape as ResolvedClass).uid;
      for (const id of Object.keys(activity?.enum ?? {}))
        allOf.push(
          ifThen(
            { properties: { activity_id: { const: Number(id) } }, required: ['activity_id'] },
            {
              properties: {
                type_uid: {
                  const: uid * 100 + Number(id),
                  description: 'type_uid = class_uid × 100 + activity_id',
                },
              },
            },
          ),
        );
      for (const [profile, names] of profiles)
        allOf.push(
          ifThen(
            {
              not: {
                properties: {
                  metadata: {
                    properties: { profiles: { contains: { const: profile } } },
                    required: ['profiles'],
                  },
                },
                required: ['metadata'],
              },
            },
            {
              properties: Object.fromEntries(
                names.map((n) => [
                  n,
                  {
                    not: {},
                    description: `${n} belongs to profile ${profile}, which metadata.profiles does not list`,
                  },
                ]),
              ),
            },
          ),
        );
    }
    if (shape.atLeastOne.length)
      allOf.push({
        anyOf: shape.atLeastOne.map((n) => ({ required: [n] })),
        description: `at least one of ${shape.atLeastOne.join(', ')}`,
      });
    if (shape.justOne.length)
      allOf.push({
        oneOf: shape.justOne.map((n) => ({ required: [n] })),
        description: `exactly one of ${shape.justOne.join(', ')}`,
      });
    return {
      type: 'object',
      properties,
      required,
      additionalProperties: {
        not: {},
        description: `not an attribute of ${shape.name} in OCSF 1.9 (Warden's own fields go under unmapped)`,
      },
      ...(allOf.length ? { allOf } : {}),
    };
  }
}

// `if` failures only say "must match then", and the branches of anyOf/oneOf list every
// alternative: the then-branch's and the constraint's own errors say what.
function meaningful(e: ErrorObject): boolean {
  return e.keyword !== 'if' && !/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath);
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/';
  const why =
    (e.schema as Schema | undefined)?.description ?? (e.parentSchema as Schema | undefined)?.description;
  if (e.keyword === 'not' && why) {
    return `${where}: ${why}`;
  }
  if (e.keyword === 'const')
    return `${where}: must be ${JSON.stringify(e.params.allowedValue)}${why ? ` (${why})` : ''}, is ${JSON.stringify(e.data)}`;
  if (e.keyword === 'enum')
    return `${where}: ${JSON.stringify(e.data)} is not one of ${JSON.stringify(e.params.allowedValues)}`;
  if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return `${where}: needs ${why ?? e.message}`;
  return `${where}: ${e.message}`;
}
