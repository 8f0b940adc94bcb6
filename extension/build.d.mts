// Types of build.mjs, for the tests that build the package.
export declare const FREELENS_PACKAGE_NAME: string;
export declare function buildFreelensPackage(options?: { outdir?: string }): Promise<{
  outdir: string;
  manifest: Record<string, unknown>;
}>;
