// Reads the OCSF schema's source files (the vendored 1.9 subset in test/fixtures/ocsf-1.9/,
// as the ocsf-schema repository lays them out) and resolves what the OCSF server would:
// dictionary attributes under each use, `extends` chains (class → category base →
// base_event, object → _entity/_resource), `$include` of profiles, merged enums, the
// class's uid (category × 1000 + class) and the generated `type_uid` enum.

import { readFileSync } from 'node:fs';
import path from 'node:path';

export const OCSF_19_DIR = path.resolve(import.meta.dirname, '../../fixtures/ocsf-1.9');

type Json = Record<string, unknown>;

export interface EnumEntry {
  caption: string;
}

/** One attribute as it applies in a class or object. */
export interface ResolvedAttribute {
  name: string;
  type: string;
  isArray: boolean;
  requirement: 'required' | 'recommended' | 'optional';
  enum?: Record<string, EnumEntry>;
  /** The attribute that carries the caption of this `_id` (dictionary `sibling`). */
  sibling?: string;
  /** The profile that adds the attribute (only present when the record lists it). */
  profile?: string;
  deprecated?: string;
}

export interface ResolvedShape {
  name: string;
  caption: string;
  attributes: Map<string, ResolvedAttribute>;
  atLeastOne: string[];
  justOne: string[];
  /** An event's category (inherited from the class it extends). */
  category?: string;
}

export interface ResolvedClass extends ResolvedShape {
  uid: number;
  categoryUid: number;
  categoryName: string;
}

export interface TypeDef {
  base: string;
  regex?: string;
  range?: [number, number];
  maxLen?: number;
}

export class OcsfSource {
  readonly dir: string;
  readonly dictionary: Map<string, Json>;
  readonly types: Map<string, TypeDef>;
  readonly #objects = new Map<string, ResolvedShape | null>();
  readonly #categories: Record<string, { uid: number; caption: string }>;

  constructor(dir = OCSF_19_DIR) {
    this.dir = dir;
    const dict = this.#read('dictionary.json');
    this.dictionary = new Map(Object.entries(dict.attributes as Record<string, Json>));
    this.types = new Map();
    for (const [name, t] of Object.entries((dict.types as Json).attributes as Record<string, Json>)) {
      this.types.set(name, {
        base: (t.type as string | undefined) ?? name,
        ...(t.regex ? { regex: t.regex as string } : {}),
        ...(t.range ? { range: t.range as [number, number] } : {}),
        ...(t.max_len ? { maxLen: t.max_len as number } : {}),
      });
    }
    this.#categories = this.#read('categories.json').attributes as Record<
      string,
      { uid: number; caption: string }
    >;
  }

  #read(rel: string): Json {
    return JSON.parse(readFileSync(path.join(this.dir, rel), 'utf8')) as Json;
  }

  #exists(rel: string): boolean {
    try {
      readFileSync(path.join(this.dir, rel));
      return true;
    } catch {
      return false;
    }
  }

  /** Whether `name` is an object type (rather than a scalar type). */
  isObjectType(name: string): boolean {
    return !this.types.has(name);
  }

  /** An object's resolved shape, or null when its file is not vendored. */
  object(name: string): ResolvedShape | null {
    if (this.#objects.has(name)) return this.#objects.get(name) ?? null;
    this.#objects.set(name, null); // a cycle reads "not yet": objects only nest by type name
    const rel = `objects/${name}.json`;
    if (!this.#exists(rel)) return null;
    const shape = this.#shape(this.#read(rel), (parent) => this.object(parent));
    this.#objects.set(name, shape);
    return shape;
  }

  /** The event class at `events/<category>/<file>.json`. */
  eventClass(rel: string): ResolvedClass {
    const file = this.#read(`events/${rel}.json`);
    const shape = this.#shape(file, (parent) => this.#eventBase(parent));
    const category = shape.category ? this.#categories[shape.category] : undefined;
    if (!category) throw new Error(`class ${rel}: unknown category ${String(shape.category)}`);
    const uid = category.uid * 1000 + (file.uid as number);
    const activity = shape.attributes.get('activity_id');
    const typeEnum: Record<string, EnumEntry> = {};
    for (const [id, e] of Object.entries(activity?.enum ?? {}))
      typeEnum[String(uid * 100 + Number(id))] = { caption: `${shape.caption}: ${e.caption}` };
    const typeUid = shape.attributes.get('type_uid');
    if (typeUid) typeUid.enum = typeEnum;
    const classUid = shape.attributes.get('class_uid');
    if (classUid) classUid.enum = { [String(uid)]: { caption: shape.caption } };
    const categoryUid = shape.attributes.get('category_uid');
    if (categoryUid) categoryUid.enum = { [String(category.uid)]: { caption: category.caption } };
    return { ...shape, uid, categoryUid: category.uid, categoryName: category.caption };
  }

  #eventBase(name: string): ResolvedShape | null {
    for (const rel of [
      `events/${name}.json`,
      ...['network', 'application', 'findings', 'system', 'iam'].map((c) => `events/${c}/${name}.json`),
    ])
      if (this.#exists(rel)) return this.#shape(this.#read(rel), (parent) => this.#eventBase(parent));
    return null;
  }

  #shape(file: Json, parentOf: (name: string) => ResolvedShape | null): ResolvedShape {
    const name = file.name as string;
    const parentName = file.extends as string | undefined;
    const parent = parentName && parentName !== 'object' ? parentOf(parentName) : null;
    if (parentName && parentName !== 'object' && !parent)
      throw new Error(`${name} extends ${parentName}, which is not vendored`);
    const attributes = new Map<string, ResolvedAttribute>();
    for (const [k, v] of parent?.attributes ?? [])
      attributes.set(k, { ...v, ...(v.enum ? { enum: { ...v.enum } } : {}) });
    const own = (file.attributes ?? {}) as Record<string, unknown>;
    for (const inc of (own.$include as string[] | undefined) ?? []) {
      const profile = this.#read(inc);
      const profileName = profile.meta === 'profile' ? (profile.name as string) : undefined;
      for (const [k, v] of Object.entries(profile.attributes as Record<string, Json>))
        this.#merge(attributes, k, v, profileName);
    }
    for (const [k, v] of Object.entries(own))
      if (k !== '$include') this.#merge(attributes, k, v as Json, undefined);
    const constraints = (file.constraints as Json | undefined) ?? undefined;
    return {
      name,
      caption: (file.caption as string | undefined) ?? name,
      attributes,
      atLeastOne: constraints
        ? ((constraints.at_least_one as string[] | undefined) ?? [])
        : (parent?.atLeastOne ?? []),
      justOne: constraints ? ((constraints.just_one as string[] | undefined) ?? []) : (parent?.justOne ?? []),
      ...(file.category || parent?.category
        ? { category: (file.category as string | undefined) ?? parent?.category }
        : {}),
    };
  }

  #merge(into: Map<string, ResolvedAttribute>, name: string, use: Json, profile: string | undefined): void {
    const dict = this.dictionary.get(name);
    if (!dict) throw new Error(`attribute ${name} is not in the dictionary`);
    const before = into.get(name);
    const useEnum = use.enum as Record<string, EnumEntry> | undefined;
    const dictEnum = dict.enum as Record<string, EnumEntry> | undefined;
    const merged = { ...(dictEnum ?? {}), ...(before?.enum ?? {}), ...(useEnum ?? {}) };
    const deprecated = (use['@deprecated'] ?? dict['@deprecated']) as { message?: string } | undefined;
    // A class or object that defines an attribute itself makes it its own (not the profile's).
    const attrProfile = (use.profile as string | undefined) ?? profile;
    into.set(name, {
      name,
      type: (use.type as string | undefined) ?? (dict.type as string),
      isArray: Boolean(dict.is_array),
      requirement: ((use.requirement as string | undefined) ??
        before?.requirement ??
        'optional') as ResolvedAttribute['requirement'],
      ...(Object.keys(merged).length ? { enum: merged } : {}),
      ...(dict.sibling ? { sibling: dict.sibling as string } : {}),
      ...(attrProfile ? { profile: attrProfile } : {}),
      ...(deprecated ? { deprecated: deprecated.message ?? 'deprecated' } : {}),
    });
  }
}
