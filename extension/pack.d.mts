// Types of pack.mjs, for the tests that pack the packages.
export declare function packPackages(options?: { dist?: string; out?: string }): Promise<string[]>;
