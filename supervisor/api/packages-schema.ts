// The `spec.packages` part of the policy document: package-level rules for the registries an
// agent installs from. npm today (`spec.packages.npm`); PyPI will be `spec.packages.pypi` with
// the same fields (names normalised as PEP 503 says, versions as PEP 440 specifiers).

import { type Static, Type } from '@sinclair/typebox';

const Description = Type.Optional(
  Type.String({ maxLength: 500, description: 'Why this entry exists; shown in refusals and approvals.' }),
);

export const PackageRuleSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 214,
      description: 'Package name glob: * any characters, ? one character (@scope/* names a scope).',
    }),
    versions: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'A semver range (^1.2.0, <2 || >=3.1, 1.0.3); every version when absent.',
      }),
    ),
    description: Description,
  },
  { additionalProperties: false },
);

export const NpmPackagesSchema = Type.Object(
  {
    registries: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 260, pattern: '^[^\\s/@]+$' }), {
        maxItems: 64,
        description:
          'Hosts (host or host:port) that are npm registries besides registry.npmjs.org: a mirror, a company registry.',
      }),
    ),
    allow: Type.Optional(
      Type.Array(PackageRuleSchema, {
        maxItems: 2000,
        description:
          'When set, only versions an entry names may be installed (the most specific layer that sets it decides; the organisation list must match too).',
      }),
    ),
    deny: Type.Optional(
      Type.Array(PackageRuleSchema, {
        maxItems: 2000,
        description:
          'Versions never installed: removed from packuments, their tarballs refused (every layer).',
      }),
    ),
    ask: Type.Optional(
      Type.Array(PackageRuleSchema, {
        maxItems: 2000,
        description:
          'Versions held for a human before their tarball is fetched (every layer; a deny or allow list decides first).',
      }),
    ),
    minReleaseAgeDays: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3650,
        description:
          'Versions published more recently are removed from packuments, so npm resolves an older one.',
      }),
    ),
    installScripts: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('ask'), Type.Literal('deny')], {
        description:
          'Versions with preinstall/install/postinstall scripts: allowed, held for a human, or removed.',
      }),
    ),
    provenance: Type.Optional(
      Type.Union([Type.Literal('prefer'), Type.Literal('require')], {
        description:
          'require: versions without provenance attestations (dist.attestations) are removed. prefer: where a major line (0.minor for 0.x) has an attested release, its versions without one are removed and latest moves to the newest attested release; a lockfile may still fetch them.',
      }),
    ),
    firstSeen: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('ask')], {
        description: 'ask: hold the first tarball of a package never fetched before on this device.',
      }),
    ),
    approver: Type.Optional(
      Type.Literal('it', {
        description:
          "Who answers this layer's package asks (installScripts: ask, firstSeen: ask, ask entries): it: IT on the team hub's Approvals page, not the developer; the device holds the tarball until the hub's signed answer or the timeout.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const PackagesSpecSchema = Type.Object(
  { npm: Type.Optional(NpmPackagesSchema) },
  { additionalProperties: false },
);

export type PackageRuleSpec = Static<typeof PackageRuleSchema>;
export type NpmPackagesSpec = Static<typeof NpmPackagesSchema>;
