// Types of build.mjs, for the tests that build the packages.
interface Built {
  outdir: string;
  manifest: Record<string, unknown>;
}
export declare const FREELENS_PACKAGE_NAME: string;
export declare const LEGACY_PACKAGE_NAME: string;
export declare function buildFreelensPackage(options?: { outdir?: string }): Promise<Built>;
export declare function buildLegacyPackage(options?: { outdir?: string }): Promise<Built>;
export declare function buildPackages(options?: { dist?: string }): Promise<Built[]>;
